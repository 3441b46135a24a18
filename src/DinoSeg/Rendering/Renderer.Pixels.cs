using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Rendering;

// The overlay and the cut-out drawn into a caller's raw pixel buffer (a SkiaSharp bitmap's pixels, an OpenCV Mat's data):
// no imaging library's type in the caller's code.
public static partial class Renderer
{
    /// <summary>
    /// Draws <see cref="Overlay(Image{Rgb24}, SegmentationResult, OverlayStyle?)"/> into <paramref name="destination"/>: the
    /// image's size, in <paramref name="layout"/> (alpha 255 in the 4-byte layouts).
    /// </summary>
    /// <param name="image">The segmented image, the same size as the result.</param>
    /// <param name="result">The segmentation to draw.</param>
    /// <param name="destination">At least stride × (height − 1) + width × bytes per pixel bytes.</param>
    /// <param name="layout">The byte order to write.</param>
    /// <param name="stride">Bytes from one row to the next; 0 packs the rows.</param>
    /// <param name="style">Colours and opacity; <see cref="OverlayStyle.Default"/> when null.</param>
    /// <exception cref="ArgumentException">The image is not the size of the result, or <paramref name="destination"/> is too short.</exception>
    public static void Overlay(DecodedImage image, SegmentationResult result, Span<byte> destination, PixelLayout layout, int stride = 0,
        OverlayStyle? style = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        Validate(image.Image, result);
        PixelBuffers.Stride(destination.Length, result.Width, result.Height, layout, stride, nameof(destination)); // before any drawing
        using Image<Rgb24> overlay = Overlay(image.Image, result, style);
        PixelRows.Write(overlay, destination, layout, stride);
    }

    /// <summary>
    /// Draws <see cref="Cutout(Image{Rgb24}, SegmentationResult)"/> into <paramref name="destination"/> (straight, not
    /// premultiplied, alpha = soft mask): the image's size, in <see cref="PixelLayout.Rgba32"/> or <see cref="PixelLayout.Bgra32"/>.
    /// </summary>
    /// <param name="image">The segmented image, the same size as the result.</param>
    /// <param name="result">The segmentation to draw.</param>
    /// <param name="destination">At least stride × (height − 1) + width × 4 bytes.</param>
    /// <param name="layout">Rgba32 or Bgra32: a cut-out needs its alpha channel.</param>
    /// <param name="stride">Bytes from one row to the next; 0 packs the rows.</param>
    /// <exception cref="ArgumentException">The layout has no alpha, the image is not the size of the result, or <paramref name="destination"/> is too short.</exception>
    public static void Cutout(DecodedImage image, SegmentationResult result, Span<byte> destination, PixelLayout layout, int stride = 0)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (!PixelBuffers.HasAlpha(layout))
        {
            throw new ArgumentException($"A cut-out needs an alpha channel: use PixelLayout.Rgba32 or Bgra32, not {layout}.", nameof(layout));
        }

        Validate(image.Image, result);
        PixelBuffers.Stride(destination.Length, result.Width, result.Height, layout, stride, nameof(destination));
        using Image<Rgba32> cutout = Cutout(image.Image, result);
        PixelRows.Write(cutout, destination, layout, stride);
    }
}
