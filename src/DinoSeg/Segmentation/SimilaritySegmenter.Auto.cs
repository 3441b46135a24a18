namespace DinoSeg;

public sealed partial class SimilaritySegmenter
{
    /// <summary>
    /// Segments from one seed with no threshold to give: the options' <see cref="SegmentationOptions.ThresholdRule"/> reads
    /// one off this click's map (the evaluated default; the result records it in <see cref="SegmentationResult.Threshold"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The seed lies outside the image.</exception>
    public SegmentationResult Segment(PatchFeatures features, PixelPoint seed) => SegmentAuto(features, new SegmentationPrompt(seed));

    /// <summary>
    /// Segments from any prompt with a threshold chosen from this click's own similarity map by <paramref name="rule"/>, into
    /// <paramref name="into"/> (allocation-free once its buffers exist: the rule costs one histogram and one threshold pass)
    /// or a new result. The result records the threshold (<see cref="SegmentationResult.Threshold"/>) and the rule
    /// (<see cref="SegmentationResult.AutoRule"/>).
    /// </summary>
    /// <param name="features">Features of the image.</param>
    /// <param name="prompt">The seeds, negative seeds and box, as for <c>Segment</c>.</param>
    /// <param name="rule">How the threshold is chosen; null for the options' <see cref="SegmentationOptions.ThresholdRule"/>.</param>
    /// <param name="into">The result to fill, made for features of this size; null for a new one.</param>
    /// <param name="options">Options for this click instead of <see cref="Options"/> (null: those), their
    /// <see cref="SegmentationOptions.ThresholdRule"/> included; the result keeps them for <see cref="Rethreshold"/>.</param>
    /// <returns><paramref name="into"/>, or the new result.</returns>
    /// <exception cref="ArgumentException">No positive seed nor box, or <paramref name="into"/> was made for other features' size.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A seed or the box lies outside the image, the rule is unknown, or an option is out of range.</exception>
    public SegmentationResult SegmentAuto(PatchFeatures features, in SegmentationPrompt prompt, ThresholdRule? rule = null, SegmentationResult? into = null,
        SegmentationOptions? options = null)
    {
        SegmentationOptions chosenOptions = OptionsFor(options);
        ThresholdRule chosen = rule ?? chosenOptions.ThresholdRule;
        AutoThreshold.ThrowIfUnknown(chosen, nameof(rule));
        SegmentationResult result = ResultFor(features, into);
        CheckClick(features, prompt, threshold: null, result, chosenOptions);
        result.Pipeline.Click(features, prompt.Seeds, prompt.Negatives, prompt.Box, chosenOptions, chosen);
        return result;
    }

    /// <summary>
    /// The threshold <paramref name="rule"/> (by default the <see cref="SegmentationOptions.ThresholdRule"/> of the options
    /// the result's click used) reads
    /// off a segmented result's own map, without changing the result: what an automatic click would have chosen, for a
    /// result thresholded by hand (a slider's "auto" position). Never above the map's value at a positive seed.
    /// Allocation-free: one histogram, or for the ladder rules (<see cref="ThresholdRule.StableMask"/>, and
    /// <see cref="ThresholdRule.StableSingleSeed"/> on a one-seed prompt) the mask finished at each ladder threshold and then
    /// once more at the result's own, so the result is unchanged. <see cref="ThresholdRule.StableSingleSeed"/> on a later
    /// click needs its first seed's ladder threshold: read from the result when an earlier click there found it, else found
    /// now on that seed alone, after which the prompt's map is rebuilt (the same bits) and its mask finished again
    /// (<see cref="ChoosesByLadder"/> says which).
    /// </summary>
    public float ChooseThreshold(SegmentationResult result, ThresholdRule? rule = null)
    {
        ThresholdRule chosen = CheckedRule(result, rule);
        // A click this rule thresholded already holds its answer (every rule reads the click's map alone): no second ladder.
        if (result.AutoRule == chosen) return result.Threshold;
        return result.Pipeline.ChooseThreshold(chosen);
    }

    /// <summary>
    /// Whether <see cref="ChooseThreshold"/> with <paramref name="rule"/> (by default the rule of the options the result's
    /// click used) would finish the mask at each ladder threshold — for this result's prompt, or for its first seed alone
    /// when the result does not hold that seed's ladder threshold: ten mask finishes, with the CRF ten CRF runs — rather
    /// than read one histogram or the threshold an automatic click of that rule already chose. A page that
    /// shows the automatic threshold beside a hand-set one can skip it then and ask for an automatic click when it is wanted.
    /// </summary>
    /// <exception cref="ArgumentException">The result holds no segmentation yet.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The rule is unknown.</exception>
    public bool ChoosesByLadder(SegmentationResult result, ThresholdRule? rule = null)
    {
        ThresholdRule chosen = CheckedRule(result, rule);
        return result.AutoRule != chosen && result.Pipeline.ChoosesByLadder(chosen);
    }

    private ThresholdRule CheckedRule(SegmentationResult result, ThresholdRule? rule)
    {
        ArgumentNullException.ThrowIfNull(result);
        ThresholdRule chosen = rule ?? (result.Options ?? Options).ThresholdRule;
        AutoThreshold.ThrowIfUnknown(chosen, nameof(rule));
        if (result.Seeds.Count == 0 && result.Box is null) throw new ArgumentException("The result holds no segmentation yet.", nameof(result));
        return chosen;
    }
}
