namespace DinoSeg;

/// <summary>Inputs for any <see cref="IFeatureExtractor"/> that need no imaging library's type.</summary>
public static class FeatureExtractorExtensions
{
    /// <summary>Extracts L2-normalised patch features of an image made from a file, stream, encoded bytes or raw pixels.</summary>
    /// <exception cref="ObjectDisposedException"><paramref name="image"/> was disposed.</exception>
    public static PatchFeatures Extract(this IFeatureExtractor extractor, DecodedImage image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(extractor);
        ArgumentNullException.ThrowIfNull(image);
        return extractor.Extract(image.Image, cancellationToken);
    }
}
