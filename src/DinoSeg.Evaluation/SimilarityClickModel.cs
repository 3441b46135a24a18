namespace DinoSeg.Evaluation;

/// <summary>
/// DinoSeg's own segmenter as an <see cref="IClickModel"/>: positive clicks are seeds, negative clicks negative seeds,
/// at a fixed threshold or one chosen per click by a <see cref="ThresholdRule"/>. Reuses one result, so clicks after the
/// first allocate nothing.
/// </summary>
/// <remarks>Not thread-safe: it keeps one reusable result and the clicks so far.</remarks>
public sealed class SimilarityClickModel : IClickModel
{
    private readonly SimilaritySegmenter _segmenter;
    private readonly PatchFeatures _features;
    private readonly float? _threshold;
    private readonly ThresholdRule _rule;

    /// <summary>Creates the model for one image.</summary>
    /// <param name="segmenter">The per-click path with its options.</param>
    /// <param name="features">Features of the image.</param>
    /// <param name="threshold">A fixed threshold in [-1, 1], or null to let <paramref name="rule"/> choose per click.</param>
    /// <param name="rule">The automatic rule used when <paramref name="threshold"/> is null.</param>
    /// <param name="guide">The image guide, needed when the segmenter's options refine.</param>
    public SimilarityClickModel(SimilaritySegmenter segmenter, PatchFeatures features, float? threshold,
        ThresholdRule rule = ThresholdRule.StableSingleSeed, RefinementGuide? guide = null)
    {
        _segmenter = segmenter ?? throw new ArgumentNullException(nameof(segmenter));
        _features = features ?? throw new ArgumentNullException(nameof(features));
        if (threshold is { } t && !(t >= -1 && t <= 1)) throw new ArgumentOutOfRangeException(nameof(threshold), t, "The threshold must be in [-1, 1].");
        _threshold = threshold;
        _rule = rule;
        Result = new SegmentationResult(features) { Guide = guide };
    }

    /// <summary>The result of the latest click (its threshold, maps and mask).</summary>
    public SegmentationResult Result { get; }

    /// <inheritdoc/>
    public ReadOnlySpan<byte> Segment(ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives)
    {
        if (_threshold is { } t) _segmenter.Segment(_features, new SegmentationPrompt(positives, negatives), t, Result);
        else _segmenter.SegmentAuto(_features, new SegmentationPrompt(positives, negatives), _rule, Result);
        return Result.Mask;
    }
}
