using System.Numerics.Tensors;
using DinoSeg.Kernels;

namespace DinoSeg;

/// <summary>
/// The per-click path: seed similarity over the patch grid → optional ranking over the patch graph → bilinear upsampling to image size with optional Gaussian
/// smoothing (one fused separable pass, exactly equal to upsample-then-blur) → negative-seed gate → threshold → region
/// options → feathered soft mask.
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

    /// <summary>
    /// A fixed threshold that suits these options' maps, for callers that want a number rather than
    /// <see cref="SegmentationOptions.ThresholdRule"/> (a slider's start): <see cref="GraphOptions.DefaultThreshold"/> on ranked
    /// maps (a fraction of the seed's rank), the backbone's <see cref="Backbone.DefaultThreshold"/> (a cosine) on plain ones.
    /// </summary>
    public float DefaultThreshold(Backbone backbone)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        return Options.Propagation == Propagation.Graph ? GraphOptions.DefaultThreshold : backbone.DefaultThreshold;
    }

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
        if (positives.IsEmpty) throw new ArgumentException("At least one positive seed is needed.", nameof(positives));
        Segment(features, positives, negatives, null, threshold, into);
    }

    /// <summary>Segments from a box prompt into a new result.</summary>
    /// <inheritdoc cref="Segment(PatchFeatures, ReadOnlySpan{PixelPoint}, ReadOnlySpan{PixelPoint}, PixelRect?, float, SegmentationResult)"/>
    public SegmentationResult Segment(PatchFeatures features, PixelRect box, float threshold) => Segment(features, [], [], box, threshold);

    /// <summary>Segments from any prompt (seeds, negative seeds, a box) into a new result.</summary>
    /// <inheritdoc cref="Segment(PatchFeatures, ReadOnlySpan{PixelPoint}, ReadOnlySpan{PixelPoint}, PixelRect?, float, SegmentationResult)"/>
    public SegmentationResult Segment(PatchFeatures features, ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives, PixelRect? box,
        float threshold)
    {
        ArgumentNullException.ThrowIfNull(features);
        var result = new SegmentationResult(features);
        Segment(features, positives, negatives, box, threshold, result);
        return result;
    }

    /// <summary>
    /// Segments from any prompt — positive seeds, negative seeds, a box — into an existing result (allocation-free once
    /// its buffers exist).
    /// </summary>
    /// <remarks>
    /// A box adds one more positive "seed": its prototype, the mean of the vectors of the patches whose centres lie in the
    /// box (the patch under the box centre when none does), normalised. It combines with the positive seeds like any seed
    /// (<see cref="SegmentationOptions.SeedCombine"/>), and the selection is limited to the box grown by
    /// <see cref="SegmentationOptions.BoxMargin"/> (<see cref="SegmentationResult.BoxLimit"/>). Negative seeds work as in
    /// <see cref="Segment(PatchFeatures, ReadOnlySpan{PixelPoint}, ReadOnlySpan{PixelPoint}, float, SegmentationResult)"/>.
    /// </remarks>
    /// <param name="features">Features of the image.</param>
    /// <param name="positives">Pixels on the object, in original-image pixels (may be empty when there is a box).</param>
    /// <param name="negatives">Pixels not on the object (may be empty).</param>
    /// <param name="box">A rectangle around the object, or null.</param>
    /// <param name="threshold">Similarity threshold in [-1, 1].</param>
    /// <param name="into">The result to fill, made for features of this size.</param>
    /// <exception cref="ArgumentException">Neither a positive seed nor a box, or <paramref name="into"/> was made for other features' size.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A seed or the box lies outside the image, or the threshold is not in [-1, 1].</exception>
    public void Segment(PatchFeatures features, ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives, PixelRect? box,
        float threshold, SegmentationResult into)
    {
        SegmentMap(features, positives, negatives, box, threshold, into);
        FinishMask(into);
    }

    /// <summary>The steps after every threshold (a click's, the rule's, the slider's): mask refinement, region options, soft mask.</summary>
    private void FinishMask(SegmentationResult into)
    {
        RefineMask(into);
        into.FilterRegions(Options);
        into.InvalidateSoftMask(Options.ComputeSoftMask, Options.FeatherSigma);
    }

    /// <summary>Everything up to the thresholded (and map-refined) mask; the callers finish with the mask steps.</summary>
    private void SegmentMap(PatchFeatures features, ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives, PixelRect? box,
        float threshold, SegmentationResult into)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(into);
        Threshold.Validate(threshold);
        if (positives.IsEmpty && box is null) throw new ArgumentException("At least one positive seed or a box is needed.", nameof(positives));
        if (!into.Fits(features)) throw new ArgumentException("The result was created for features of another size or grid.", nameof(into));
        CheckGuide(into);
        foreach (PixelPoint seed in positives) features.PatchAt(seed); // validates every seed before any work
        foreach (PixelPoint seed in negatives) features.PatchAt(seed);
        box?.ThrowIfOutside(features.ImageWidth, features.ImageHeight, nameof(box));

        Record(positives, into.SeedList);
        Record(negatives, into.NegativeSeedList);
        into.SetBox(box, Options.BoxMargin);
        if (box is PixelRect b) BoxPrototype(features, b, into.BoxVector);
        bool ranked = Options.Propagation == Propagation.Graph;
        into.RankingIterations = 0;
        into.Propagation = Options.Propagation;
        if (negatives.IsEmpty && box is null && !ranked && TryCombineIntoOneVector(features, positives, box: false, into))
        {
            // The common click: one pass over the features, pipelined with the upsampling.
            into.ComputeSimilarityAndUpsample(features, Options.SimilaritySigma, threshold);
        }
        else
        {
            if (ranked)
            {
                Rank(features, positives, negatives, box is not null, into);
            }
            else
            {
                ComputePatchSimilarity(features, positives, box is not null, into);
                if (!negatives.IsEmpty) ComputeNegativeSimilarity(features, negatives, into);
            }

            if (!negatives.IsEmpty) TensorPrimitives.Subtract(into.PatchSimilarityBuffer, into.NegativeSimilarityBuffer, into.PatchMarginBuffer);
            into.Upsample(Options.SimilaritySigma, threshold);
        }

        Refine(into, threshold);
        into.AutoRule = null;
    }

    /// <summary>
    /// The slider path: re-thresholds an existing result without touching features or the similarity map; the soft mask
    /// follows on its next read.
    /// </summary>
    /// <remarks>
    /// Only the 64-pixel blocks of the map that hold a value between the old and the new threshold are rewritten (the click
    /// recorded each block's minimum and maximum), so a small move on a large image reads a fraction of the map. After a
    /// region option removed pixels, or after refinement, the whole map is thresholded again. Either way the mask equals a
    /// fresh threshold of <see cref="SegmentationResult.Similarity"/>.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">The threshold is not in [-1, 1].</exception>
    public void Rethreshold(SegmentationResult result, float threshold)
    {
        ArgumentNullException.ThrowIfNull(result);
        Threshold.Validate(threshold);
        if (result.Seeds.Count == 0 && result.Box is null) throw new ArgumentException("The result holds no segmentation yet.", nameof(result));
        result.ApplyThreshold(threshold);
        result.AutoRule = null;
        FinishMask(result);
    }

    /// <summary>s⁺ per patch: the seeds and the box prototype (in <see cref="SegmentationResult.BoxVector"/>) combined.</summary>
    private void ComputePatchSimilarity(PatchFeatures features, ReadOnlySpan<PixelPoint> seeds, bool box, SegmentationResult into)
    {
        if (TryCombineIntoOneVector(features, seeds, box, into))
        {
            into.ComputeSimilarity(features, max: false);
        }
        else
        {
            into.PatchSimilarityBuffer.Fill(float.NegativeInfinity);
            if (box)
            {
                into.BoxVector.CopyTo(into.Vector);
                into.ComputeSimilarity(features, max: true);
            }

            foreach (PixelPoint seed in seeds)
            {
                var (row, col) = features.PatchAt(seed);
                features.GetPatch(row, col).CopyTo(into.Vector);
                into.ComputeSimilarity(features, max: true);
            }
        }
    }

    /// <summary>
    /// With one seed (or the box alone), or with <see cref="SeedCombine.Mean"/>, puts the single vector whose similarity is
    /// the combined s⁺ into <see cref="SegmentationResult.Vector"/> and returns true; with several seeds combined by max, false.
    /// </summary>
    private bool TryCombineIntoOneVector(PatchFeatures features, ReadOnlySpan<PixelPoint> seeds, bool box, SegmentationResult into)
    {
        int count = seeds.Length + (box ? 1 : 0);
        if (count > 1 && Options.SeedCombine != SeedCombine.Mean) return false;

        // Mean over seeds of v·s equals v · mean(s): one pass over the features either way.
        Span<float> seedVector = into.Vector;
        if (box) into.BoxVector.CopyTo(seedVector);
        else seedVector.Clear();
        foreach (PixelPoint seed in seeds)
        {
            var (row, col) = features.PatchAt(seed);
            TensorPrimitives.Add(seedVector, features.GetPatch(row, col), seedVector);
        }

        if (count > 1) TensorPrimitives.Multiply(seedVector, 1f / count, seedVector);
        return true;
    }

    /// <summary>The box prototype: the normalised mean of the vectors of the patches whose centres lie in the box.</summary>
    private static void BoxPrototype(PatchFeatures features, PixelRect box, Span<float> prototype)
    {
        prototype.Clear();
        PatchGrid grid = features.Grid;
        double sx = (double)features.ImageWidth / features.WorkingWidth, sy = (double)features.ImageHeight / features.WorkingHeight;
        int count = 0;
        for (int row = 0; row < features.Rows; row++)
        {
            double cy = (row + 0.5) * features.PatchSize * sy;
            if (cy < box.Y0 || cy >= box.Y1) continue;
            for (int col = 0; col < features.Cols; col++)
            {
                double cx = (col + 0.5) * features.PatchSize * sx;
                if (cx < box.X0 || cx >= box.X1) continue;
                TensorPrimitives.Add(prototype, features.GetPatch(row, col), prototype);
                count++;
            }
        }

        if (count == 0)
        {
            // A box smaller than a patch: the patch under its centre stands for it.
            var (row, col) = grid.PatchAt(box.Centre);
            features.GetPatch(row, col).CopyTo(prototype);
        }

        float norm = TensorPrimitives.Norm(prototype);
        if (norm > 0) TensorPrimitives.Divide(prototype, norm, prototype);
    }

    /// <summary>s⁻ = max over the negative seeds; the caller takes the margin s⁺ − s⁻ that the result upsamples as its gate.</summary>
    private static void ComputeNegativeSimilarity(PatchFeatures features, ReadOnlySpan<PixelPoint> negatives, SegmentationResult into)
    {
        into.NegativeSimilarityBuffer.Fill(float.NegativeInfinity);
        foreach (PixelPoint seed in negatives)
        {
            var (row, col) = features.PatchAt(seed);
            features.GetPatch(row, col).CopyTo(into.Vector);
            into.ComputeSimilarity(features, max: true, negative: true);
        }
    }

    private static void Record(ReadOnlySpan<PixelPoint> seeds, List<PixelPoint> list)
    {
        list.Clear();
        foreach (PixelPoint seed in seeds) list.Add(seed);
    }
}
