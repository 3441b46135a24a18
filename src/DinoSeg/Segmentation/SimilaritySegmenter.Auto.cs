namespace DinoSeg;

public sealed partial class SimilaritySegmenter
{
    /// <summary>
    /// Segments with a threshold chosen from this click's own similarity map by <paramref name="rule"/>; the result records
    /// the threshold (<see cref="SegmentationResult.Threshold"/>) and the rule (<see cref="SegmentationResult.AutoRule"/>).
    /// Allocation-free once the result's buffers exist: the rule costs one histogram and one threshold pass.
    /// </summary>
    /// <param name="features">Features of the image.</param>
    /// <param name="positives">Pixels on the object (at least one, unless <paramref name="box"/> is given).</param>
    /// <param name="negatives">Pixels not on the object (may be empty).</param>
    /// <param name="box">Optional box prompt, as for <c>Segment</c>.</param>
    /// <param name="rule">How the threshold is chosen.</param>
    /// <param name="into">The result to fill, made for features of this size.</param>
    /// <exception cref="ArgumentException">No positive seed nor box, or <paramref name="into"/> was made for other features' size.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A seed or the box lies outside the image, or the rule is unknown.</exception>
    public void SegmentAuto(PatchFeatures features, ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives, PixelRect? box,
        ThresholdRule rule, SegmentationResult into)
    {
        // A range check, not Enum.IsDefined: that one may allocate (its per-type cache), and this is the per-click path.
        if ((uint)rule > (uint)AutoThreshold.LastRule) throw new ArgumentOutOfRangeException(nameof(rule), rule, "Unknown threshold rule.");
        // The map does not depend on the threshold: build it with any, then apply the one the rule reads off it.
        SegmentMap(features, positives, negatives, box, 1f, into);
        float threshold = rule == ThresholdRule.StableMask ? StableThreshold(into) : AutoThreshold.Compute(rule, into);
        into.ApplyThreshold(threshold);
        into.AutoRule = rule;
        FinishMask(into);
    }

    /// <summary>
    /// <see cref="ThresholdRule.StableMask"/>: finishes the mask at each ladder threshold and keeps the one most like its
    /// neighbours' (the sum of its IoUs with the masks one step below and above; an end counts its one neighbour twice).
    /// Ties go to the lower threshold. Two mask buffers, the result's: allocation-free once they exist.
    /// </summary>
    private float StableThreshold(SegmentationResult into)
    {
        const int N = AutoThreshold.StableLadder;
        Span<double> step = stackalloc double[N - 1]; // IoU of the masks at ladder values i and i + 1
        Span<byte> previous = into.PreviousMaskBuffer;
        var range = AutoThreshold.StableRange(into);
        for (int i = 0; i < N; i++)
        {
            into.ApplyThreshold(AutoThreshold.StableStep(range, i));
            RefineMask(into);
            into.FilterRegions(Options);
            if (i > 0) step[i - 1] = MaskIoU(previous, into.Mask);
            into.Mask.CopyTo(previous);
        }

        int best = 0;
        double bestScore = double.NegativeInfinity;
        for (int i = 0; i < N; i++)
        {
            double score = i == 0 ? 2 * step[0] : i == N - 1 ? 2 * step[N - 2] : step[i - 1] + step[i];
            if (score > bestScore)
            {
                bestScore = score;
                best = i;
            }
        }

        return AutoThreshold.StableStep(range, best);
    }

    /// <summary>IoU of two 0/255 masks; 1 when both are empty (they agree).</summary>
    private static double MaskIoU(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        long both = 0, either = 0;
        for (int i = 0; i < a.Length; i++)
        {
            both += a[i] & b[i] & 1;
            either += (a[i] | b[i]) & 1;
        }

        return either == 0 ? 1 : (double)both / either;
    }

    /// <summary>Segments from positive and negative seeds with an automatic threshold into an existing result.</summary>
    /// <inheritdoc cref="SegmentAuto(PatchFeatures, ReadOnlySpan{PixelPoint}, ReadOnlySpan{PixelPoint}, PixelRect?, ThresholdRule, SegmentationResult)"/>
    public void SegmentAuto(PatchFeatures features, ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives,
        ThresholdRule rule, SegmentationResult into) => SegmentAuto(features, positives, negatives, null, rule, into);

    /// <summary>
    /// Segments from one or more positive seeds with an automatic threshold into a new result (by default the options'
    /// <see cref="SegmentationOptions.ThresholdRule"/>).
    /// </summary>
    /// <inheritdoc cref="SegmentAuto(PatchFeatures, ReadOnlySpan{PixelPoint}, ReadOnlySpan{PixelPoint}, ThresholdRule, SegmentationResult)"/>
    public SegmentationResult SegmentAuto(PatchFeatures features, ReadOnlySpan<PixelPoint> positives, ThresholdRule? rule = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        var result = new SegmentationResult(features);
        SegmentAuto(features, positives, [], rule ?? Options.ThresholdRule, result);
        return result;
    }

    /// <summary>
    /// Segments from one seed with no threshold to give: the options' <see cref="SegmentationOptions.ThresholdRule"/> reads
    /// one off this click's map (the evaluated default; the result records it in <see cref="SegmentationResult.Threshold"/>).
    /// </summary>
    /// <inheritdoc cref="SegmentAuto(PatchFeatures, ReadOnlySpan{PixelPoint}, ReadOnlySpan{PixelPoint}, PixelRect?, ThresholdRule, SegmentationResult)"/>
    public SegmentationResult Segment(PatchFeatures features, PixelPoint seed) => SegmentAuto(features, [seed]);

    /// <summary>
    /// Segments from any prompt (seeds, negative seeds, a box) with the options' <see cref="SegmentationOptions.ThresholdRule"/>
    /// into an existing result: allocation-free once its buffers exist.
    /// </summary>
    /// <inheritdoc cref="SegmentAuto(PatchFeatures, ReadOnlySpan{PixelPoint}, ReadOnlySpan{PixelPoint}, PixelRect?, ThresholdRule, SegmentationResult)"/>
    public void Segment(PatchFeatures features, ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives, PixelRect? box,
        SegmentationResult into) => SegmentAuto(features, positives, negatives, box, Options.ThresholdRule, into);
}
