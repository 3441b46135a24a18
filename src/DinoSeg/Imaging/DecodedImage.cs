using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg;

/// <summary>
/// An image ready for DinoSeg, made from what an application has — a file, a stream, encoded bytes or a raw pixel buffer —
/// with no imaging library's type in sight: decode (or copy) once, then extract, segment and render from it as often as
/// needed. Decoding goes through <see cref="ImageDecoder"/>, so every <see cref="ImageLimits"/> check runs before pixels are
/// allocated.
/// </summary>
/// <example><code>
/// using var image = DecodedImage.FromPixels(bitmap.GetPixelSpan(), bitmap.Width, bitmap.Height, PixelLayout.Bgra32, bitmap.RowBytes);
/// SegmentationResult result = dino.Segment(image, new PixelPoint(320, 240));
/// </code></example>
/// <remarks>
/// Holds 3 bytes a pixel (RGB). Reads (<see cref="CopyPixelsTo"/>, extraction, rendering) are thread-safe; <see cref="Dispose"/>
/// must not race with them.
/// </remarks>
public sealed class DecodedImage : IDisposable
{
    private Image<Rgb24>? _image;

    private DecodedImage(Image<Rgb24> image)
    {
        _image = image;
        Width = image.Width;
        Height = image.Height;
    }

    /// <summary>Width in pixels (after EXIF orientation).</summary>
    public int Width { get; }

    /// <summary>Height in pixels (after EXIF orientation).</summary>
    public int Height { get; }

    /// <summary>The pixels, for the library's own ImageSharp-based stages.</summary>
    internal Image<Rgb24> Image
    {
        get
        {
            ObjectDisposedException.ThrowIf(_image is null, this);
            return _image;
        }
    }

    /// <summary>Decodes the file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No file at that path.</exception>
    /// <exception cref="DinoSegImageException">Not a supported image, truncated or corrupt, or over the limits.</exception>
    public static DecodedImage Load(string path, ImageLimits? limits = null) => new(ImageDecoder.Load(path, limits));

    /// <summary>
    /// Decodes an image from a stream, seekable or not; the stream stays open. A stream that cannot seek (ASP.NET's
    /// <c>Request.Body</c>) is read into memory first, refused as soon as it passes <see cref="ImageLimits.MaxBytes"/>.
    /// </summary>
    /// <exception cref="DinoSegImageException">Not a supported image, truncated or corrupt, or over the limits.</exception>
    public static DecodedImage Load(Stream stream, ImageLimits? limits = null) => new(ImageDecoder.Load(stream, limits));

    /// <summary>
    /// Reads the stream asynchronously into memory (at most <see cref="ImageLimits.MaxBytes"/>: a longer stream is refused
    /// while it is read), then decodes the copy synchronously: the wait is for the I/O, the decode is CPU work done on the
    /// awaiting thread. The stream stays open.
    /// </summary>
    /// <exception cref="DinoSegImageException">Not a supported image, truncated or corrupt, or over the limits.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while reading.</exception>
    public static async Task<DecodedImage> LoadAsync(Stream stream, ImageLimits? limits = null, CancellationToken cancellationToken = default)
    {
        limits ??= ImageLimits.Default;
        MemoryStream copy = await BoundedCopy.ReadAllAsync(stream, limits, cancellationToken).ConfigureAwait(false);
        await using (copy.ConfigureAwait(false))
        {
            return new DecodedImage(ImageDecoder.Load(copy, limits));
        }
    }

    /// <summary>Decodes an encoded image (PNG, JPEG, … as <see cref="ImageDecoder"/> reads them) held in memory; a <c>byte[]</c> converts implicitly.</summary>
    /// <exception cref="DinoSegImageException">Not a supported image, truncated or corrupt, or over the limits.</exception>
    public static DecodedImage Load(ReadOnlyMemory<byte> encoded, ImageLimits? limits = null)
    {
        // An array-backed memory is read in place; other memory (native, pooled) is copied once.
        using MemoryStream stream = MemoryMarshal.TryGetArray(encoded, out ArraySegment<byte> array)
            ? new MemoryStream(array.Array!, array.Offset, array.Count, writable: false)
            : new MemoryStream(encoded.ToArray(), writable: false);
        return new DecodedImage(ImageDecoder.Load(stream, limits));
    }

    /// <summary>
    /// Copies a raw pixel buffer, as SkiaSharp (<c>SKBitmap.GetPixelSpan()</c>, <c>RowBytes</c>), System.Drawing
    /// (<c>BitmapData.Scan0</c>, <c>Stride</c>) or OpenCV (<c>Mat.Data</c>, <c>Mat.Step()</c>) hold one. Alpha is ignored
    /// (the backbone sees colour only); the caller's buffer is not kept.
    /// </summary>
    /// <param name="pixels">Row after row, starting at the top-left pixel.</param>
    /// <param name="width">Pixels in a row.</param>
    /// <param name="height">Rows.</param>
    /// <param name="layout">The byte order of a pixel.</param>
    /// <param name="stride">Bytes from the start of one row to the next; 0 when rows are packed (width × bytes per pixel). Bottom-up buffers (a negative System.Drawing stride) must be flipped first.</param>
    /// <param name="limits">Checked against width × height; <see cref="ImageLimits.Default"/> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or the stride is out of range, or the layout is unknown.</exception>
    /// <exception cref="ArgumentException"><paramref name="pixels"/> is shorter than the size and stride say.</exception>
    /// <exception cref="DinoSegImageException">width × height is over <see cref="ImageLimits.MaxPixels"/>.</exception>
    public static DecodedImage FromPixels(ReadOnlySpan<byte> pixels, int width, int height, PixelLayout layout, int stride = 0, ImageLimits? limits = null)
    {
        stride = PixelBuffers.Stride(pixels.Length, width, height, layout, stride, nameof(pixels));
        limits ??= ImageLimits.Default;
        if ((long)width * height > limits.MaxPixels)
        {
            throw new DinoSegImageException($"at most {limits.MaxPixels} pixels", $"a {width}x{height} pixel buffer ({(long)width * height} pixels)",
                "downscale the image first or raise ImageLimits.MaxPixels");
        }

        var image = new Image<Rgb24>(width, height);
        try
        {
            int row = width * PixelBuffers.BytesPerPixel(layout);
            for (int y = 0; y < height; y++)
            {
                PixelRows.ToRgb(pixels.Slice(y * stride, row), layout, image.DangerousGetPixelRowMemory(y).Span);
            }

            return new DecodedImage(image);
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    /// <summary>Copies the pixels into <paramref name="destination"/> in <paramref name="layout"/> (alpha 255), row after row.</summary>
    /// <param name="destination">At least stride × (height − 1) + width × bytes per pixel bytes.</param>
    /// <param name="layout">The byte order to write.</param>
    /// <param name="stride">Bytes from one row to the next; 0 packs the rows.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short, or the stride is too small.</exception>
    public void CopyPixelsTo(Span<byte> destination, PixelLayout layout, int stride = 0) => PixelRows.Write(Image, destination, layout, stride);

    /// <summary>Frees the pixels. Safe to call more than once.</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _image, null)?.Dispose();
    }
}
