namespace DinoSeg;

/// <summary>How a click's patch similarity is turned into the map that is upsampled and thresholded.</summary>
public enum Propagation
{
    /// <summary>The seed's cosine similarity as it is: every patch scored on its own (part-level: "looks like the seed").</summary>
    None,

    /// <summary>
    /// Manifold ranking over the image's patch graph (Zhou et al. 2004): the seed's similarity spreads along chains of
    /// mutually similar patches, so the parts of one region that look unlike the seed patch (a dog's head and legs from a
    /// click on its back) come with it. See <see cref="GraphOptions"/>.
    /// </summary>
    Graph,
}

/// <summary>
/// Options of <see cref="Propagation.Graph"/>: the k-nearest-neighbour graph built once per image over the patches, and the
/// per-click solve over it. Immutable; change with <c>with</c>.
/// </summary>
/// <remarks>
/// The graph joins every patch to its <see cref="Neighbours"/> most similar patches anywhere in the image (and each edge
/// both ways), with weight w = exp((cos − 1) / <see cref="Temperature"/>); S = D^−½ W D^−½ with D the degrees. A click with
/// cosine map s solves (I − <see cref="Alpha"/> S) f = max(s, 0) by conjugate gradients and scales f so its seeds hold 1,
/// clamped to [0, 1]. Immutable, so one instance can be shared by any number of segmenters and threads.
/// </remarks>
public sealed record GraphOptions
{
    /// <summary>Nearest neighbours per patch, in [1, 64]. Default 10.</summary>
    public int Neighbours { get; init; } = 10;

    /// <summary>τ of the edge weight exp((cos − 1)/τ), in (0, 10]: smaller keeps only near-identical patches joined. Default 0.2.</summary>
    public double Temperature { get; init; } = 0.2;

    /// <summary>
    /// α in [0, 0.9999]: how far similarity spreads over the graph (0: not at all, f = max(s, 0); near 1: over whole
    /// connected regions). Default 0.99.
    /// </summary>
    public double Alpha { get; init; } = 0.99;

    /// <summary>
    /// Features wider than twice this are projected onto their top principal components before the graph is built, when
    /// that is cheaper than comparing the full vectors (large grids of wide ViT features); in [8, 256]. Default 64.
    /// </summary>
    public int ReducedDimension { get; init; } = 64;

    /// <summary>
    /// Relative residual ‖b − A f‖ / ‖b‖ at which the per-click solve stops, in [1e-7, 0.1]. Default 1e-3: on the evaluation
    /// set it gives the same scores as 1e-4 in fewer iterations.
    /// </summary>
    public double Tolerance { get; init; } = 1e-3;

    /// <summary>Conjugate-gradient iterations per solve at most, in [1, 10000]. Default 500.</summary>
    public int MaxIterations { get; init; } = 500;

    /// <summary>
    /// How far a later positive seed may spread, as a fraction of the click's threshold, in [0, 1]; 0 turns the barrier off.
    /// A positive seed after the first, on a patch that the first seed ranks at or above this fraction of the threshold,
    /// ranks with the patches the first seed ranks below it absorbing: a click on a missed part of the first seed's region
    /// (a leg, an ear, whose 16-px patch is mostly background) adds that part, not all the background its mixed patch
    /// resembles. A later seed on a patch below that level (a region the first click left out) ranks freely. It applies to
    /// clicks whose threshold is known before the map: a fixed threshold (the slider then keeps the map it built), and the
    /// later clicks of <see cref="ThresholdRule.StableSingleSeed"/> (their first seed's ladder threshold); not to the other
    /// rules, a box prompt, or <see cref="SeedCombine.Mean"/>. Default 0.5: against 0 with today's other defaults, photos
    /// NoC@90 6.55 → 5.72 and a second click that raises the mean IoU (0.731 → 0.775 against 0.760 after the first;
    /// docs/quality.md). An automatic click whose threshold ends above its floor builds its map again with the barrier at
    /// that threshold.
    /// </summary>
    public double LaterSeedBarrier { get; init; } = 0.5;

    /// <summary>
    /// How much a negative seed's ranked map counts against the positive seeds' in the gate, in (0, 1]: a pixel stays only
    /// where its rank from the seeds is above this weight times its rank from the negative seeds. Below 1, a negative on a
    /// false region removes that region and what looks clearly more like it than like the seeds, not the parts of the
    /// object that look only a little more like the negative (the other horses of a herd, from a negative on the brown
    /// hill behind them), at the cost of more negatives for the rest. Default 1 (the negatives' rank itself): 0.8 gave the
    /// default pipeline's second click 0.794 mean IoU instead of 0.774 at the same NoC@90, but one more photo short of
    /// 0.90 and more clicks without refinement (NoC@85 9.7 → 11.0; docs/quality.md). Plain maps (cosines) always take 1.
    /// </summary>
    public double NegativeWeight { get; init; } = 1;

    /// <summary>
    /// A fixed threshold for ranked maps, for callers that want a number rather than a rule (a slider's starting point; see
    /// <see cref="SimilaritySegmenter.DefaultThreshold"/>): a fraction of the seed's rank, whatever the backbone. 0.4: the
    /// best fixed value measured on the evaluation set (docs/quality.md).
    /// </summary>
    public const float DefaultThreshold = 0.4f;

    /// <summary>
    /// The lowest threshold <see cref="ThresholdRule.RankedOtsu"/> picks on a ranked map: below it, Otsu's split of a
    /// ranked map is one of the flat or two-peaked maps where it selects far too much (measured: docs/quality.md).
    /// </summary>
    public const float RankedOtsuLow = 0.3f;

    /// <summary>The highest threshold <see cref="ThresholdRule.RankedOtsu"/> picks on a ranked map (above it, almost nothing is selected).</summary>
    public const float RankedOtsuHigh = 0.5f;

    /// <summary>The defaults.</summary>
    public static GraphOptions Default { get; } = new();

    /// <summary>Whether a graph built with <paramref name="other"/> is the graph these options would build.</summary>
    internal bool BuildsSameGraph(GraphOptions other) =>
        Neighbours == other.Neighbours && Temperature.Equals(other.Temperature) && ReducedDimension == other.ReducedDimension;

    internal void Validate()
    {
        if (Neighbours is < 1 or > 64) throw new ArgumentOutOfRangeException(nameof(Neighbours), Neighbours, "Neighbours must be in [1, 64].");
        if (!(Temperature > 0 && Temperature <= 10)) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "τ must be in (0, 10].");
        if (!(Alpha >= 0 && Alpha <= 0.9999)) throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "α must be in [0, 0.9999].");
        if (ReducedDimension is < 8 or > 256) throw new ArgumentOutOfRangeException(nameof(ReducedDimension), ReducedDimension, "The reduced dimension must be in [8, 256].");
        if (!(Tolerance >= 1e-7 && Tolerance <= 0.1)) throw new ArgumentOutOfRangeException(nameof(Tolerance), Tolerance, "The tolerance must be in [1e-7, 0.1].");
        if (MaxIterations is < 1 or > 10000) throw new ArgumentOutOfRangeException(nameof(MaxIterations), MaxIterations, "Iterations must be in [1, 10000].");
        if (!(NegativeWeight > 0 && NegativeWeight <= 1)) throw new ArgumentOutOfRangeException(nameof(NegativeWeight), NegativeWeight, "The negative seeds' weight must be in (0, 1] (1: the seeds' rank must only beat the negatives').");
        if (!(LaterSeedBarrier >= 0 && LaterSeedBarrier <= 1)) throw new ArgumentOutOfRangeException(nameof(LaterSeedBarrier), LaterSeedBarrier, "The later-seed barrier must be a fraction of the threshold in [0, 1] (0 turns it off).");
    }
}
