namespace DinoSeg;

/// <summary>How <c>SimilaritySegmenter.SegmentAuto</c> picks a threshold from the similarity map of one click.</summary>
public enum ThresholdRule
{
    /// <summary>
    /// Otsu's threshold over the full-resolution, smoothed map (<see cref="SegmentationResult.Similarity"/>): the value that
    /// best splits the pixels into two classes.
    /// </summary>
    Otsu,

    /// <summary>Otsu's threshold over the patch-level similarity (<see cref="SegmentationResult.PatchSimilarity"/>).</summary>
    PatchOtsu,

    /// <summary>
    /// Midway between the smoothed similarity at the positive seeds (their mean; 1 with a box and no seed) and the median of
    /// the map.
    /// </summary>
    SeedMedianMidpoint,

    /// <summary>
    /// <see cref="Otsu"/>, held within [<see cref="GraphOptions.RankedOtsuLow"/>, <see cref="GraphOptions.RankedOtsuHigh"/>] when
    /// the map is ranked (<see cref="Propagation.Graph"/>: its values are fractions of the seed's rank, and a split outside
    /// that band is one of the flat or two-peaked maps where Otsu selects far too much or almost nothing); plain Otsu on
    /// unranked maps. One histogram and one mask finish per click: the rule for a tool whose every click must cost one CRF
    /// run (the default before 7 December; docs/quality.md).
    /// </summary>
    RankedOtsu,

    /// <summary>
    /// The threshold of a ladder whose finished mask (after <see cref="SegmentationOptions.Refinement"/> and the clean-up
    /// options) changes least when the threshold rises one step, the lower on a tie: the most inclusive mask of a plateau
    /// of the whole pipeline's answer, not of the map alone. The ladder is 9 values evenly over [0.2, 0.6] on ranked
    /// maps, and from the map's median to the weakest positive seed on plain maps; never above the weakest positive seed.
    /// A ladder value whose mask covers 95 % of the image or more is passed over (unless every value's does): the whole
    /// image is the most stable answer of all and never the region of a click. Costs one mask finish per ladder value
    /// plus one (with <see cref="Refinement.GrabCut"/>: ten GrabCut runs per click), so it suits one-shot segmentation
    /// rather than an interactive click. <see cref="SimilaritySegmenter.ChooseThreshold"/> runs the ladder too (the
    /// segmenter's, not <c>AutoThreshold.Compute</c>, which reads one map).
    /// </summary>
    StableMask,

    /// <summary>
    /// <see cref="StableMask"/> for a prompt of one positive seed alone (no negative seed, no box) refined by the dense CRF
    /// or the guided filter; for the later clicks of such a prompt (more seeds or negative seeds, still no box),
    /// <see cref="RankedOtsu"/> raised to that first seed's ladder threshold; <see cref="RankedOtsu"/> for every other prompt.
    /// One click says nothing about how far its region reaches, and the refined pipeline's most stable answer is the best
    /// guess measured (photos 0.760 one-click IoU against 0.686 with the CRF). Once the user adds a seed or a negative, the
    /// ladder on the combined map would pick the broad plateau of a seed on an edge patch, so the threshold is Otsu's; but
    /// never below the first click's own, which Otsu on a map that several seeds or a negative reshaped undercut (photos
    /// NoC@90 6.5 without that floor, 6.1 with it). The first seed's ladder threshold is kept in the result, so the later
    /// clicks of a prompt cost one mask finish; a result that does not hold it (another first seed, other options or
    /// guide, other features) runs the ladder on the first seed alone once. Without refinement the ladder measured worse
    /// (composites NoC@90 8.0 against 6.7) and with <see cref="Refinement.GrabCut"/> it would cost ten GrabCut runs a click,
    /// so there it is <see cref="RankedOtsu"/> throughout. The default (<see cref="SegmentationOptions.ThresholdRule"/>): the
    /// best one-click IoU and the fewest clicks of the rules measured in docs/quality.md. A one-seed click costs ten mask
    /// finishes (with the CRF, ten CRF runs); choose <see cref="RankedOtsu"/> where every click must take one.
    /// </summary>
    StableSingleSeed,
}

/// <summary>
/// Automatic thresholds over similarity maps. All rules work on a 256-bin histogram over [-1, 1] (bin width 1/128) built on
/// the stack: no allocation. Values outside [-1, 1] (<see cref="SegmentationResult.Excluded"/> pixels) are ignored.
/// </summary>
/// <remarks>Stateless and thread-safe.</remarks>
internal static class AutoThreshold
{
    /// <summary>Histogram bins over [-1, 1].</summary>
    public const int Bins = 256;

    /// <summary>The band of <see cref="ThresholdRule.RankedOtsu"/> on ranked maps.</summary>
    public const float RankedLow = GraphOptions.RankedOtsuLow, RankedHigh = GraphOptions.RankedOtsuHigh;

    /// <summary>The last rule, for range checks that must not allocate (Enum.IsDefined may).</summary>
    internal const ThresholdRule LastRule = ThresholdRule.StableSingleSeed;

    /// <summary>Refuses a value outside the enum, without allocating (it runs on the per-click path).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rule"/> is no <see cref="ThresholdRule"/>.</exception>
    internal static void ThrowIfUnknown(ThresholdRule rule, string paramName)
    {
        if ((uint)rule > (uint)LastRule) throw new ArgumentOutOfRangeException(paramName, rule, "Unknown threshold rule.");
    }

    /// <summary>Thresholds <see cref="ThresholdRule.StableMask"/> tries.</summary>
    public const int StableLadder = 9;

    /// <summary>The ladder's ends on ranked maps: 0.1 beyond <see cref="ThresholdRule.RankedOtsu"/>'s band on each side.</summary>
    internal const float StableLow = 0.2f, StableHigh = 0.6f;

    /// <summary>
    /// A finished mask that covers at least this share of the image is the whole image, which
    /// <see cref="ThresholdRule.StableMask"/>'s ladder passes over. Any share from 0.85 to 0.99 chose the same thresholds on
    /// the evaluation set.
    /// </summary>
    internal const double WholeImageFraction = 0.95;

    /// <summary>The least mask area, in pixels, of a mask <see cref="WholeImageFraction"/> calls the whole image.</summary>
    internal static int WholeImageArea(int pixels) => (int)Math.Ceiling(WholeImageFraction * pixels);

    /// <summary>
    /// Otsu's threshold: the bin edge that maximises the between-class variance of the values below and at-or-above it.
    /// Returns 1 (nothing but perfect matches selected) when no value lies in [-1, 1], and the single value when all are equal.
    /// </summary>
    public static float Otsu(ReadOnlySpan<float> values)
    {
        Span<int> histogram = stackalloc int[Bins];
        long count = Fill(values, histogram);
        if (count == 0) return 1f;

        double total = 0;
        for (int i = 0; i < Bins; i++) total += histogram[i] * Centre(i);
        double below = 0, belowSum = 0, best = -1;
        int bestEdge = -1;
        for (int edge = 1; edge < Bins; edge++)
        {
            // Class 0: bins [0, edge); class 1: bins [edge, Bins).
            below += histogram[edge - 1];
            belowSum += histogram[edge - 1] * Centre(edge - 1);
            double above = count - below;
            if (below == 0 || above == 0) continue;
            double m0 = belowSum / below, m1 = (total - belowSum) / above;
            double between = below * above * (m0 - m1) * (m0 - m1);
            if (between > best)
            {
                best = between;
                bestEdge = edge;
            }
        }

        // One occupied bin: no split exists; the threshold that selects exactly that bin's values is its lower edge.
        if (bestEdge < 0) bestEdge = FirstOccupied(histogram);
        return Edge(bestEdge);
    }

    /// <summary>The median of the values in [-1, 1], to histogram precision (the centre of the bin holding it).</summary>
    public static float Median(ReadOnlySpan<float> values)
    {
        Span<int> histogram = stackalloc int[Bins];
        long count = Fill(values, histogram);
        if (count == 0) return 0f;
        long seen = 0;
        for (int i = 0; i < Bins; i++)
        {
            seen += histogram[i];
            if (2 * seen >= count) return (float)Centre(i);
        }

        return 1f;
    }

    /// <summary>
    /// The threshold <paramref name="rule"/> gives for a segmented result (its maps and seeds), never above the map's value
    /// at a positive seed (so the click selects its own pixel).
    /// </summary>
    /// <exception cref="ArgumentException">The result holds no segmentation yet.</exception>
    public static float Compute(ThresholdRule rule, SegmentationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Seeds.Count == 0 && result.Box is null) throw new ArgumentException("The result holds no segmentation yet.", nameof(result));
        var (seedMean, weakestSeed) = SeedLevels(result);
        float t = rule switch
        {
            ThresholdRule.PatchOtsu => Otsu(result.PatchSimilarity),
            ThresholdRule.Otsu => Otsu(result.Similarity),
            ThresholdRule.RankedOtsu => RankedOtsuOf(result),
            ThresholdRule.SeedMedianMidpoint => 0.5f * (seedMean + Median(result.Similarity)),
            // Its later clicks' Otsu value, before the pipeline raises it to the first seed's ladder threshold (Floored).
            ThresholdRule.StableSingleSeed when !UsesLadder(rule, result) => RankedOtsuOf(result),
            ThresholdRule.StableMask or ThresholdRule.StableSingleSeed => throw new ArgumentException(
                $"ThresholdRule.{rule} compares the finished masks at several thresholds here, which needs the segmenter: use SimilaritySegmenter.SegmentAuto or ChooseThreshold.", nameof(rule)),
            _ => throw new ArgumentOutOfRangeException(nameof(rule), rule, "Unknown threshold rule."),
        };

        // Whatever the rule says, a click selects its own pixel: the threshold never rises above the weakest positive seed.
        return Math.Clamp(MathF.Min(t, weakestSeed), -1f, 1f);
    }

    /// <summary>
    /// What <paramref name="rule"/> asks of the ladder for a prompt of <paramref name="seeds"/> positive and
    /// <paramref name="negatives"/> negative seeds, with or without a box, under <paramref name="refinement"/>.
    /// <see cref="ThresholdRule.StableMask"/> takes it always. <see cref="ThresholdRule.StableSingleSeed"/> takes it for one
    /// positive seed alone refined by the dense CRF or the guided filter, and uses the first seed's ladder threshold as the
    /// floor of the later clicks of such a prompt (more seeds or negatives, still no box).
    /// </summary>
    internal static LadderUse LadderFor(ThresholdRule rule, int seeds, int negatives, bool box, Refinement refinement) => rule switch
    {
        ThresholdRule.StableMask => LadderUse.Ladder,
        ThresholdRule.StableSingleSeed when seeds > 0 && !box && refinement is Refinement.DenseCrf or Refinement.GuidedFilter =>
            seeds == 1 && negatives == 0 ? LadderUse.Ladder : LadderUse.FirstSeedFloor,
        _ => LadderUse.None,
    };

    /// <summary><see cref="LadderFor(ThresholdRule, int, int, bool, Refinement)"/> for a segmented result's prompt and options.</summary>
    internal static LadderUse LadderFor(ThresholdRule rule, SegmentationResult result) =>
        LadderFor(rule, result.Seeds.Count, result.NegativeSeeds.Count, result.Box is not null, result.Options?.Refinement ?? Refinement.None);

    /// <summary>Whether <paramref name="rule"/> runs the ladder on this result's own prompt.</summary>
    internal static bool UsesLadder(ThresholdRule rule, SegmentationResult result) => LadderFor(rule, result) == LadderUse.Ladder;

    /// <summary>
    /// <paramref name="threshold"/> raised to <paramref name="floor"/>, and still never above the weakest positive seed of
    /// the result (so the click keeps selecting its own pixels).
    /// </summary>
    internal static float Floored(float threshold, float floor, SegmentationResult result) =>
        Math.Clamp(MathF.Min(MathF.Max(threshold, floor), SeedLevels(result).Weakest), -1f, 1f);

    private static float RankedOtsuOf(SegmentationResult result) =>
        result.Propagation == Propagation.Graph ? Math.Clamp(Otsu(result.Similarity), RankedLow, RankedHigh) : Otsu(result.Similarity);

    /// <summary>
    /// The ends of <see cref="ThresholdRule.StableMask"/>'s ladder for a segmented result, and the weakest positive seed's
    /// value, above which no ladder threshold goes.
    /// </summary>
    internal static (float Low, float High, float Weakest) StableRange(SegmentationResult result)
    {
        var (_, weakest) = SeedLevels(result);
        return result.Propagation == Propagation.Graph ? (StableLow, StableHigh, weakest) : (Median(result.Similarity), weakest, weakest);
    }

    /// <summary>The <paramref name="index"/>-th of <see cref="StableLadder"/> rising thresholds over a <see cref="StableRange"/>.</summary>
    internal static float StableStep((float Low, float High, float Weakest) range, int index)
    {
        float t = range.Low + (range.High - range.Low) * index / (StableLadder - 1);
        return Math.Clamp(MathF.Min(t, range.Weakest), -1f, 1f);
    }

    /// <summary>
    /// The mean and the lowest map value at the positive seeds that are not excluded (a positive seed a negative one
    /// overrules); both 1 when there is none (e.g. a box alone).
    /// </summary>
    private static (float Mean, float Weakest) SeedLevels(SegmentationResult result)
    {
        ReadOnlySpan<float> map = result.Similarity;
        double sum = 0;
        int n = 0;
        float weakest = 1f;
        IReadOnlyList<PixelPoint> seeds = result.Seeds;
        for (int i = 0; i < seeds.Count; i++) // indexing, not foreach: no boxed enumerator on the per-click path
        {
            PixelPoint seed = seeds[i];
            float v = map[seed.Y * result.Width + seed.X];
            if (v < -1f) continue;
            sum += v;
            n++;
            weakest = MathF.Min(weakest, v);
        }

        return (n == 0 ? 1f : (float)(sum / n), weakest);
    }

    private static long Fill(ReadOnlySpan<float> values, Span<int> histogram)
    {
        long count = 0;
        foreach (float v in values)
        {
            if (!(v >= -1f && v <= 1f)) continue;
            int bin = Math.Min(Bins - 1, (int)((v + 1f) * (Bins / 2)));
            histogram[bin]++;
            count++;
        }

        return count;
    }

    private static int FirstOccupied(ReadOnlySpan<int> histogram)
    {
        for (int i = 0; i < Bins; i++)
        {
            if (histogram[i] != 0) return i;
        }

        return Bins - 1;
    }

    private static double Centre(int bin) => (bin + 0.5) * 2.0 / Bins - 1.0;

    private static float Edge(int bin) => (float)(bin * 2.0 / Bins - 1.0);
}

/// <summary>What a threshold rule asks of the ladder for one prompt (<see cref="AutoThreshold.LadderFor(ThresholdRule, int, int, bool, Refinement)"/>).</summary>
internal enum LadderUse
{
    /// <summary>No ladder: the rule reads the map's histogram.</summary>
    None,

    /// <summary>The ladder on this prompt's map.</summary>
    Ladder,

    /// <summary>The rule's histogram value, raised to the ladder threshold of the prompt's first positive seed alone.</summary>
    FirstSeedFloor,
}
