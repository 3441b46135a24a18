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
        CheckClick(features, positives, negatives, box, threshold: null, into);
        into.Pipeline.Click(features, positives, negatives, box, Options, rule);
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

    /// <summary>
    /// The threshold <paramref name="rule"/> (by default the options' <see cref="SegmentationOptions.ThresholdRule"/>) reads
    /// off a segmented result's own map, without changing the result: what an automatic click would have chosen, for a
    /// result thresholded by hand (a slider's "auto" position). Never above the map's value at a positive seed.
    /// Allocation-free: one histogram.
    /// </summary>
    /// <exception cref="ArgumentException">The result holds no segmentation yet, or the rule is
    /// <see cref="ThresholdRule.StableMask"/> (it compares finished masks, which only a click makes).</exception>
    /// <exception cref="ArgumentOutOfRangeException">The rule is unknown.</exception>
    public float ChooseThreshold(SegmentationResult result, ThresholdRule? rule = null) =>
        AutoThreshold.Compute(rule ?? Options.ThresholdRule, result);
}
