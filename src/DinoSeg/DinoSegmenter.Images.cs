namespace DinoSeg;

// Entry points that take a DecodedImage (file, stream, encoded bytes or raw pixels) or a stream: no imaging library's type
// in the caller's code.
public sealed partial class DinoSegmenter
{
    /// <summary>Extracts features of an image made from a file, stream, encoded bytes or raw pixels.</summary>
    /// <exception cref="ObjectDisposedException">This object or <paramref name="image"/> was disposed.</exception>
    public PatchFeatures Extract(DecodedImage image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Extract(image.Image, cancellationToken);
    }

    /// <summary>
    /// Reads an encoded image from a stream asynchronously (seekable or not, at most <see cref="ImageLimits.MaxBytes"/> of it:
    /// see <see cref="DecodedImage.LoadAsync"/>), then decodes and extracts; only the read is asynchronous, the decode and
    /// the backbone run on the awaiting thread. The stream stays open.
    /// </summary>
    /// <exception cref="DinoSegImageException">The bytes are not a usable image or exceed the limits.</exception>
    public async Task<PatchFeatures> ExtractAsync(Stream stream, ImageLimits? limits = null, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        using DecodedImage image = await DecodedImage.LoadAsync(stream, limits, cancellationToken).ConfigureAwait(false);
        return Extract(image, cancellationToken);
    }

    /// <summary>
    /// One call: extract, then segment from <paramref name="seed"/> at <paramref name="threshold"/>, or with the evaluated
    /// default rule when it is null.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The seed lies outside the image or the threshold is not in [-1, 1]; checked before the backbone runs.</exception>
    public SegmentationResult Segment(DecodedImage image, PixelPoint seed, float? threshold = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Segment(image.Image, seed, threshold);
    }
}
