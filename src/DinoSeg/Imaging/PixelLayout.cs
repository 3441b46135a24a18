namespace DinoSeg;

/// <summary>
/// The byte order of a raw pixel buffer, as other imaging stacks hold one: SkiaSharp's <c>SKBitmap</c> (usually
/// <see cref="Bgra32"/>, or <see cref="Rgba32"/> where the platform colour type is RGBA), System.Drawing's
/// <c>Format24bppRgb</c> (<see cref="Bgr24"/>) and <c>Format32bppArgb</c> (<see cref="Bgra32"/>), an OpenCV <c>Mat</c> of
/// type CV_8UC3 (<see cref="Bgr24"/>) or CV_8UC4 (<see cref="Bgra32"/>).
/// </summary>
public enum PixelLayout
{
    /// <summary>3 bytes a pixel: red, green, blue.</summary>
    Rgb24,

    /// <summary>3 bytes a pixel: blue, green, red.</summary>
    Bgr24,

    /// <summary>4 bytes a pixel: red, green, blue, alpha.</summary>
    Rgba32,

    /// <summary>4 bytes a pixel: blue, green, red, alpha.</summary>
    Bgra32,
}

/// <summary>Sizes and checks of raw pixel buffers.</summary>
internal static class PixelBuffers
{
    public static int BytesPerPixel(PixelLayout layout) => layout switch
    {
        PixelLayout.Rgb24 or PixelLayout.Bgr24 => 3,
        PixelLayout.Rgba32 or PixelLayout.Bgra32 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, "Unknown pixel layout: use Rgb24, Bgr24, Rgba32 or Bgra32."),
    };

    public static bool HasAlpha(PixelLayout layout) => layout is PixelLayout.Rgba32 or PixelLayout.Bgra32;

    /// <summary>
    /// Checks a buffer of <paramref name="length"/> bytes holding <paramref name="height"/> rows of <paramref name="width"/>
    /// pixels, each row starting <paramref name="stride"/> bytes after the previous one (0: rows packed), and returns the
    /// stride in force. The last row needs only its pixels, not a whole stride (as OpenCV and SkiaSharp buffers end).
    /// </summary>
    public static int Stride(long length, int width, int height, PixelLayout layout, int stride, string bufferName)
    {
        int bpp = BytesPerPixel(layout);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if ((long)width * bpp > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(width), width, "A row is larger than 2 GiB.");
        int row = width * bpp;
        if (stride == 0) stride = row;
        if (stride < row)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride,
                $"A row of {width} {layout} pixels needs {row} bytes: the stride (bytes from one row to the next) must be 0 (packed) or at least {row}.");
        }

        long needed = (long)stride * (height - 1) + row;
        if (length < needed)
        {
            throw new ArgumentException(
                $"A {width}x{height} {layout} buffer with a stride of {stride} bytes needs at least {needed} bytes; found {length}.", bufferName);
        }

        return stride;
    }
}
