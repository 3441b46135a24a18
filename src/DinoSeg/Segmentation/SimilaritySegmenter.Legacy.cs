namespace DinoSeg;

// The span overloads the prompt replaces, kept only until every caller has moved (removed in the next commit).
#pragma warning disable CS1591
public sealed partial class SimilaritySegmenter
{
    public SegmentationResult Segment(PatchFeatures features, ReadOnlySpan<PixelPoint> seeds, float threshold) =>
        Segment(features, new SegmentationPrompt(seeds), threshold);

    public void Segment(PatchFeatures features, ReadOnlySpan<PixelPoint> seeds, float threshold, SegmentationResult into) =>
        Segment(features, new SegmentationPrompt(seeds), threshold, Into(into));

    public SegmentationResult Segment(PatchFeatures features, ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives, float threshold) =>
        Segment(features, new SegmentationPrompt(positives, negatives), threshold);

    public void Segment(PatchFeatures features, ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives, float threshold, SegmentationResult into) =>
        Segment(features, new SegmentationPrompt(positives, negatives), threshold, Into(into));

    public SegmentationResult Segment(PatchFeatures features, PixelRect box, float threshold) => Segment(features, new SegmentationPrompt(box), threshold);

    public SegmentationResult Segment(PatchFeatures features, ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives, PixelRect? box, float threshold) =>
        Segment(features, Prompt(positives, negatives, box), threshold);

    public void Segment(PatchFeatures features, ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives, PixelRect? box, float threshold, SegmentationResult into) =>
        Segment(features, Prompt(positives, negatives, box), threshold, Into(into));

    public void SegmentAuto(PatchFeatures features, ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives, PixelRect? box, ThresholdRule rule, SegmentationResult into) =>
        SegmentAuto(features, Prompt(positives, negatives, box), rule, Into(into));

    public void SegmentAuto(PatchFeatures features, ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives, ThresholdRule rule, SegmentationResult into) =>
        SegmentAuto(features, new SegmentationPrompt(positives, negatives), rule, Into(into));

    public SegmentationResult SegmentAuto(PatchFeatures features, ReadOnlySpan<PixelPoint> positives, ThresholdRule? rule = null) =>
        SegmentAuto(features, new SegmentationPrompt(positives), rule);

    public void Segment(PatchFeatures features, ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives, PixelRect? box, SegmentationResult into) =>
        SegmentAuto(features, Prompt(positives, negatives, box), null, Into(into));

    private static SegmentationPrompt Prompt(ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives, PixelRect? box) =>
        box is PixelRect b ? new SegmentationPrompt(b, positives, negatives) : new SegmentationPrompt(positives, negatives);

    private static SegmentationResult Into(SegmentationResult into) => into ?? throw new ArgumentNullException(nameof(into));
}
