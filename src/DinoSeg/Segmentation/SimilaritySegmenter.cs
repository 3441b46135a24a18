using System.Numerics.Tensors;
using DinoSeg.Kernels;

namespace DinoSeg;

/// <summary>
/// The per-click path: seed similarity over the patch grid → bilinear upsampling to image size with optional Gaussian
/// smoothing (one fused separable pass, exactly equal to upsample-then-blur) → threshold → feathered soft mask.
/// </summary>
/// <remarks>
/// Immutable and thread-safe: any number of threads may segment the same <see cref="PatchFeatures"/> at once, each with
/// its own <see cref="SegmentationResult"/>. Reusing a result makes a click allocation-free. Large images are split over
/// the machine's cores.
/// </remarks>
public sealed class SimilaritySegmenter
{
    /// <summary>Creates a segmenter with the given options (defaults when null).</summary>
    public SimilaritySegmenter(SegmentationOptions? options = null)
    {
        Options = options ?? SegmentationOptions.Default;
        Options.Validate();
    }

    /// <summary>The options every click uses.</summary>
    public SegmentationOptions Options { get; }

    /// <summary>Segments from one seed into a new result.</summary>
    /// <param name="features">Features of the image.</param>
    /// <param name="seed">A pixel of the original image.</param>
    /// <param name="threshold">Similarity threshold in [-1, 1].</param>
    public SegmentationResult Segment(PatchFeatures features, PixelPoint seed, float threshold) =>
        Segment(features, [seed], threshold);

    /// <summary>Segments from one or more seeds into a new result.</summary>
    public SegmentationResult Segment(PatchFeatures features, ReadOnlySpan<PixelPoint> seeds, float threshold)
    {
        ArgumentNullException.ThrowIfNull(features);
        var result = new SegmentationResult(features);
        Segment(features, seeds, threshold, result);
        return result;
    }

    /// <summary>Segments into an existing result (allocation-free once its buffers exist).</summary>
    /// <exception cref="ArgumentException">No seeds, or <paramref name="into"/> was made for other features' size.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A seed lies outside the image, or the threshold is not in [-1, 1].</exception>
    public void Segment(PatchFeatures features, ReadOnlySpan<PixelPoint> seeds, float threshold, SegmentationResult into)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(into);
        ValidateThreshold(threshold);
        if (seeds.IsEmpty) throw new ArgumentException("At least one seed is needed.", nameof(seeds));
        if (!into.Fits(features)) throw new ArgumentException("The result was created for features of another size or grid.", nameof(into));
        foreach (PixelPoint seed in seeds) features.PatchAt(seed); // validates every seed before any work

        into.SeedList.Clear();
        foreach (PixelPoint seed in seeds) into.SeedList.Add(seed);
        ComputePatchSimilarity(features, seeds, into);
        into.Upsample(Options.SimilaritySigma, threshold);
        into.InvalidateSoftMask(Options.ComputeSoftMask, Options.FeatherSigma);
    }

    /// <summary>
    /// The slider path: re-thresholds an existing result without touching features or the similarity map; the soft mask
    /// follows on its next read.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The threshold is not in [-1, 1].</exception>
    public void Rethreshold(SegmentationResult result, float threshold)
    {
        ArgumentNullException.ThrowIfNull(result);
        ValidateThreshold(threshold);
        if (result.Seeds.Count == 0) throw new ArgumentException("The result holds no segmentation yet.", nameof(result));
        result.ApplyThreshold(threshold);
        result.InvalidateSoftMask(Options.ComputeSoftMask, Options.FeatherSigma);
    }

    private void ComputePatchSimilarity(PatchFeatures features, ReadOnlySpan<PixelPoint> seeds, SegmentationResult into)
    {
        Span<float> similarity = into.PatchSimilarityBuffer;
        if (seeds.Length == 1 || Options.SeedCombine == SeedCombine.Mean)
        {
            // Mean over seeds of v·s equals v · mean(s): one pass over the features either way.
            Span<float> seedVector = into.Vector;
            seedVector.Clear();
            foreach (PixelPoint seed in seeds)
            {
                var (row, col) = features.PatchAt(seed);
                TensorPrimitives.Add(seedVector, features.GetPatch(row, col), seedVector);
            }

            if (seeds.Length > 1) TensorPrimitives.Multiply(seedVector, 1f / seeds.Length, seedVector);
            into.ComputeSimilarity(features, max: false);
        }
        else
        {
            similarity.Fill(float.NegativeInfinity);
            foreach (PixelPoint seed in seeds)
            {
                var (row, col) = features.PatchAt(seed);
                features.GetPatch(row, col).CopyTo(into.Vector);
                into.ComputeSimilarity(features, max: true);
            }
        }
    }

    private static void ValidateThreshold(float threshold)
    {
        if (!(threshold >= -1f && threshold <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold must be a number in [-1, 1].");
        }
    }
}
