using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg;

/// <summary>Turns an image into one feature vector per patch. The expensive step: run it once per image.</summary>
/// <remarks>
/// Implementations state their own thread-safety; <see cref="DinoSegmenter"/> is as thread-safe as its extractor.
/// The built-in <see cref="OnnxFeatureExtractor"/> allows concurrent <see cref="Extract"/> calls.
/// </remarks>
public interface IFeatureExtractor : IDisposable
{
    /// <summary>The backbone this extractor runs.</summary>
    Backbone Backbone { get; }

    /// <summary>Extracts L2-normalised patch features of <paramref name="image"/>.</summary>
    /// <param name="image">Any size; it is resized (aspect kept) to a working size whose sides are multiples of the patch size.</param>
    /// <param name="cancellationToken">Checked before the backbone runs.</param>
    PatchFeatures Extract(Image<Rgb24> image, CancellationToken cancellationToken = default);
}
