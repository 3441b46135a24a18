using SixLabors.ImageSharp;

namespace DinoSeg.Rendering;

// Views of an image made from a file, stream, encoded bytes or raw pixels, written to a folder or to any stream (an HTTP
// response, a blob): no imaging library's type in the caller's code.
public static partial class ViewWriter
{
    /// <summary><see cref="SaveAll(Image{SixLabors.ImageSharp.PixelFormats.Rgb24}, SegmentationResult, string)"/> for a <see cref="DecodedImage"/>.</summary>
    /// <exception cref="ArgumentException">The image is not the size of the result, or <paramref name="directory"/> is empty.</exception>
    /// <exception cref="IOException">A directory stands where a view file should go, or the write failed.</exception>
    public static IReadOnlyList<string> SaveAll(DecodedImage image, SegmentationResult result, string directory)
    {
        ArgumentNullException.ThrowIfNull(image);
        return SaveAll(image.Image, result, directory);
    }

    /// <summary>Renders one view and writes it as a PNG to <paramref name="destination"/>, which stays open.</summary>
    /// <param name="view">Which view.</param>
    /// <param name="image">The segmented image, the same size as the result.</param>
    /// <param name="result">The segmentation to draw.</param>
    /// <param name="destination">A writable stream; the PNG is written at its position.</param>
    /// <exception cref="ArgumentException">The image is not the size of the result, or the stream is not writable.</exception>
    public static void WritePng(SegmentationView view, DecodedImage image, SegmentationResult result, Stream destination)
    {
        CheckDestination(destination);
        using Image rendered = Render(view, image, result);
        rendered.Save(destination, EncoderFor(rendered));
    }

    /// <summary>
    /// <see cref="WritePng"/> with an asynchronous write: the view is rendered and encoded into memory on the calling thread
    /// (CPU work), then copied to <paramref name="destination"/> asynchronously (the I/O), so a slow reader holds no thread.
    /// </summary>
    /// <exception cref="ArgumentException">The image is not the size of the result, or the stream is not writable.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while writing.</exception>
    public static async Task WritePngAsync(SegmentationView view, DecodedImage image, SegmentationResult result, Stream destination,
        CancellationToken cancellationToken = default)
    {
        CheckDestination(destination);
        var encoded = new MemoryStream();
        await using (encoded.ConfigureAwait(false))
        {
            using (Image rendered = Render(view, image, result)) rendered.Save(encoded, EncoderFor(rendered));
            encoded.Position = 0;
            await encoded.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
        }
    }

    private static void CheckDestination(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (!destination.CanWrite) throw new ArgumentException("The destination stream must be writable.", nameof(destination));
    }

    private static Image Render(SegmentationView view, DecodedImage image, SegmentationResult result)
    {
        ArgumentNullException.ThrowIfNull(image);
        Renderer.Validate(image.Image, result);
        return Renderer.Render(view, image.Image, result);
    }
}
