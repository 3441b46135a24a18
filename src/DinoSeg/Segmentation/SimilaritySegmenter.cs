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
public sealed partial class SimilaritySegmenter
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
    public void Segment(PatchFeatures features, ReadOnlySpan<PixelPoint> seeds, float threshold, SegmentationResult into) =>
        Segment(features, seeds, [], threshold, into);

    /// <summary>Segments from positive and negative seeds into a new result.</summary>
    /// <inheritdoc cref="Segment(PatchFeatures, ReadOnlySpan{PixelPoint}, ReadOnlySpan{PixelPoint}, float, SegmentationResult)"/>
    public SegmentationResult Segment(PatchFeatures features, ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives, float threshold)
    {
        ArgumentNullException.ThrowIfNull(features);
        var result = new SegmentationResult(features);
        Segment(features, positives, negatives, threshold, result);
        return result;
    }

    /// <summary>
    /// Segments from positive and negative seeds into an existing result (allocation-free once its buffers exist).
    /// </summary>
    /// <remarks>
    /// Per patch, s⁺ is the similarity to the positive seeds (combined by <see cref="SegmentationOptions.SeedCombine"/>)
    /// and s⁻ the highest similarity to any negative seed. Both are upsampled and smoothed by the same linear map (in
    /// practice: s⁺ and the margin s⁺ − s⁻); a pixel is selected only where the smoothed s⁺ is strictly above the smoothed
    /// s⁻ <em>and</em> reaches the threshold. Elsewhere <see cref="SegmentationResult.Similarity"/> holds
    /// <see cref="SegmentationResult.Excluded"/>, which is below every threshold, so the slider
    /// (<see cref="Rethreshold"/>) keeps the rule. Gating after the smoothing, not before, puts the boundary where the two
    /// smoothed similarities cross, with no halo or erosion from smoothing a step.
    /// </remarks>
    /// <param name="features">Features of the image.</param>
    /// <param name="positives">At least one pixel on the object, in original-image pixels.</param>
    /// <param name="negatives">Pixels not on the object (may be empty).</param>
    /// <param name="threshold">Similarity threshold in [-1, 1].</param>
    /// <param name="into">The result to fill, made for features of this size.</param>
    /// <exception cref="ArgumentException">No positive seed, or <paramref name="into"/> was made for other features' size.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A seed lies outside the image, or the threshold is not in [-1, 1].</exception>
    public void Segment(PatchFeatures features, ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives, float threshold,
        SegmentationResult into)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(into);
        ValidateThreshold(threshold);
        if (positives.IsEmpty) throw new ArgumentException("At least one positive seed is needed.", nameof(positives));
        if (!into.Fits(features)) throw new ArgumentException("The result was created for features of another size or grid.", nameof(into));
        CheckGuide(into);
        foreach (PixelPoint seed in positives) features.PatchAt(seed); // validates every seed before any work
        foreach (PixelPoint seed in negatives) features.PatchAt(seed);

        Record(positives, into.SeedList);
        Record(negatives, into.NegativeSeedList);
        ComputePatchSimilarity(features, positives, into);
        if (!negatives.IsEmpty) ComputeMargin(features, negatives, into);
        into.Upsample(Options.SimilaritySigma, threshold);
        Refine(into, threshold);
        into.AutoRule = null;
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
        result.AutoRule = null;
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

    /// <summary>s⁻ = max over the negative seeds, then the margin s⁺ − s⁻ that the result upsamples as its gate.</summary>
    private static void ComputeMargin(PatchFeatures features, ReadOnlySpan<PixelPoint> negatives, SegmentationResult into)
    {
        into.NegativeSimilarityBuffer.Fill(float.NegativeInfinity);
        foreach (PixelPoint seed in negatives)
        {
            var (row, col) = features.PatchAt(seed);
            features.GetPatch(row, col).CopyTo(into.Vector);
            into.ComputeSimilarity(features, max: true, negative: true);
        }

        TensorPrimitives.Subtract(into.PatchSimilarityBuffer, into.NegativeSimilarityBuffer, into.PatchMarginBuffer);
    }

    private static void Record(ReadOnlySpan<PixelPoint> seeds, List<PixelPoint> list)
    {
        list.Clear();
        foreach (PixelPoint seed in seeds) list.Add(seed);
    }

    private static void ValidateThreshold(float threshold)
    {
        if (!(threshold >= -1f && threshold <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold must be a number in [-1, 1].");
        }
    }
}
