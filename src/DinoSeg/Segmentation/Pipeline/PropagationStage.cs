using System.Numerics.Tensors;

namespace DinoSeg.Pipeline;

/// <summary>
/// With <see cref="Propagation.Graph"/>: the ranked s⁺ and s⁻. Each prompt source (a seed, the box prototype) is
/// ranked on its own, f = (I − αS)⁻¹ max(s, 0), scaled so its own seed patch holds 1 (the box: the map's maximum), and the
/// sources combine by max. Ranking the sources apart keeps every seed's own region selected: one combined solve scaled by
/// its weakest seed lifts the whole map towards 1 when a seed sits on a weakly connected patch. With
/// <see cref="SeedCombine.Mean"/> the positives are one averaged source, scaled by the mean of their seeds' ranks.
/// </summary>
/// <remarks>
/// Seeds of the other sign absorb (held at 0, so nothing ranks through them): the negatives' solve never reaches a
/// positive seed's patch, so a negative never removes it, and wins its own (the gate keeps only where s⁺ is strictly
/// above s⁻, and s⁺ is at most 1). With negatives, s⁺ is the smaller of the plain ranking and the one absorbed at the
/// negatives: the negatives stop the spread through their patches, yet at a fixed threshold they only ever remove pixels.
/// A positive seed after the first, on the first seed's region, may also be barred from the first seed's background
/// (<see cref="GraphOptions.LaterSeedBarrier"/>): those patches absorb for its solve alone.
/// The per-seed scratch map is <see cref="ClickBuffers.PatchMargin"/>, which only the gate fills, after ranking.
/// </remarks>
internal sealed class PropagationStage(ClickBuffers b)
{
    private GraphRanking? _ranking;

    /// <summary>Conjugate-gradient iterations of the latest ranked click (positive and negative maps together); 0 otherwise.</summary>
    public int Iterations { get; private set; }

    /// <summary>The graph-ranking solve and its vectors (made on the first ranked click).</summary>
    private GraphRanking Ranking => _ranking ??= new GraphRanking(b.PatchSimilarity.Length);

    /// <summary>A click that is not ranked.</summary>
    public void Skip() => Iterations = 0;

    /// <summary>
    /// Ranks s⁺ (and s⁻ with negatives); <paramref name="barrier"/> is the level of the later seeds' barrier
    /// (<see cref="GraphOptions.LaterSeedBarrier"/> times the click's threshold; the pipeline gives NaN where none applies,
    /// a box prompt among them).
    /// </summary>
    public void Run(PatchFeatures features, ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives, bool box, SegmentationOptions options,
        float barrier)
    {
        Iterations = 0;
        PatchGraph graph = features.GetGraph(options.Graph);
        GraphRanking ranking = Ranking;
        ranking.SetAbsorbing(features, []);
        RankPositives(graph, features, positives, box, b.PatchSimilarity, options, barrier);
        if (negatives.IsEmpty) return;

        // The negative map's buffer is free until the negatives are ranked: it holds the absorbed positive map meanwhile.
        Span<float> absorbed = b.NegativeSimilarity;
        ranking.SetAbsorbing(features, negatives);
        RankPositives(graph, features, positives, box, absorbed, options, barrier);
        TensorPrimitives.Min(b.PatchSimilarity, absorbed, b.PatchSimilarity);

        ranking.SetAbsorbing(features, positives);
        b.NegativeSimilarity.AsSpan().Clear();
        RankSeedsInto(graph, features, negatives, b.NegativeSimilarity, options.Graph);
    }

    private void RankPositives(PatchGraph graph, PatchFeatures features, ReadOnlySpan<PixelPoint> positives, bool box, Span<float> map,
        SegmentationOptions options, float barrier)
    {
        // One seed takes the per-seed path below (its solve can be kept for the next click); a box alone or averaged
        // seeds (SeedCombine.Mean) are one combined source.
        bool oneSeed = positives.Length == 1 && !box;
        if (!oneSeed && SimilarityStage.TryCombineIntoOneVector(b, features, positives, box, options.SeedCombine))
        {
            SimilarityStage.Compute(features, b.Vector, b.PatchMargin, max: false);
            b.PatchMargin.CopyTo(map);
            Iterations += Solve(graph, map, options.Graph);
            GraphRanking.Normalise(map, positives.IsEmpty ? float.NaN : MeanAtSeeds(features, positives, map));
            return;
        }

        map.Clear(); // ranked maps lie in [0, 1]: 0 is the identity of their max
        if (box)
        {
            b.BoxVector.CopyTo(b.Vector);
            RankSourceInto(graph, features, -1, map, options.Graph);
        }

        RankSeedsInto(graph, features, positives, map, options.Graph, barrier);
    }

    /// <summary>
    /// Ranks each seed on its own into the max of <paramref name="combined"/>. With a <paramref name="barrier"/> level, a
    /// seed after the first whose patch the first seed ranks at or above it solves with the patches the first seed ranks
    /// below it absorbing (<see cref="GraphOptions.LaterSeedBarrier"/>); the absorbing patches are as before afterwards.
    /// </summary>
    private void RankSeedsInto(PatchGraph graph, PatchFeatures features, ReadOnlySpan<PixelPoint> seeds, Span<float> combined, GraphOptions o,
        float barrier = float.NaN)
    {
        GraphRanking ranking = Ranking;
        int absorbing = ranking.AbsorbingCount; // the other sign's seeds: they stay
        bool barred = barrier > 0 && seeds.Length > 1;
        int barrierCount = 0;
        for (int i = 0; i < seeds.Length; i++)
        {
            var (row, col) = features.PatchAt(seeds[i]);
            int patch = row * features.Cols + col;
            if (barred && i > 0)
            {
                // The first seed's own map is the scratch map its solve left (or its kept copy).
                if (i == 1) barrierCount = BarrierFrom(b.PatchMargin, features, seeds, barrier);
                ranking.TrimAbsorbing(absorbing);
                if (b.FirstSeedMap[patch] >= barrier) ranking.AddAbsorbing(b.BarrierPatches.AsSpan(0, barrierCount));
            }

            features.GetPatch(row, col).CopyTo(b.Vector);
            RankSourceInto(graph, features, patch, combined, o);
        }

        if (barred) ranking.TrimAbsorbing(absorbing);
    }

    /// <summary>
    /// Keeps the first seed's map in <see cref="ClickBuffers.FirstSeedMap"/> and lists in <see cref="ClickBuffers.BarrierPatches"/>
    /// the patches it ranks below <paramref name="level"/>, the seeds' own patches left out; returns how many.
    /// </summary>
    private int BarrierFrom(ReadOnlySpan<float> firstSeedMap, PatchFeatures features, ReadOnlySpan<PixelPoint> seeds, float level)
    {
        firstSeedMap.CopyTo(b.FirstSeedMap);
        int[] patches = b.BarrierPatches;
        int count = 0;
        for (int p = 0; p < firstSeedMap.Length; p++)
        {
            if (firstSeedMap[p] < level && !IsSeedPatch(features, seeds, p)) patches[count++] = p;
        }

        return count;
    }

    private static bool IsSeedPatch(PatchFeatures features, ReadOnlySpan<PixelPoint> seeds, int patch)
    {
        foreach (PixelPoint seed in seeds)
        {
            var (row, col) = features.PatchAt(seed);
            if (row * features.Cols + col == patch) return true;
        }

        return false;
    }

    /// <summary>Ranks the similarity to <see cref="ClickBuffers.Vector"/>, scaled by its value at <paramref name="referencePatch"/> (its maximum when −1), into the max of <paramref name="combined"/>.</summary>
    /// <remarks>A seed's finished map is kept by the ranking and reused while the graph, the solve settings and the absorbing patches stay the same.</remarks>
    private void RankSourceInto(PatchGraph graph, PatchFeatures features, int referencePatch, Span<float> combined, GraphOptions o)
    {
        Span<float> map = b.PatchMargin;
        GraphRanking ranking = Ranking;
        float alpha = (float)o.Alpha;
        if (referencePatch < 0 || !ranking.TryReuse(graph, alpha, o.Tolerance, o.MaxIterations, referencePatch, map))
        {
            SimilarityStage.Compute(features, b.Vector, b.PatchMargin, max: false);
            Iterations += Solve(graph, map, o);
            GraphRanking.Normalise(map, referencePatch < 0 ? float.NaN : map[referencePatch]);
            if (referencePatch >= 0) ranking.Remember(graph, alpha, o.Tolerance, o.MaxIterations, referencePatch, map);
        }

        TensorPrimitives.Max(combined, map, combined);
    }

    /// <summary>Solves the ranking of <paramref name="map"/> in place: f = (I − αS)⁻¹ max(map, 0).</summary>
    private int Solve(PatchGraph graph, Span<float> map, GraphOptions o)
    {
        GraphRanking ranking = Ranking;
        TensorPrimitives.Max(map, 0f, ranking.Input);
        return ranking.Solve(graph, (float)o.Alpha, map, o.Tolerance, o.MaxIterations);
    }

    private static float MeanAtSeeds(PatchFeatures features, ReadOnlySpan<PixelPoint> seeds, ReadOnlySpan<float> map)
    {
        double sum = 0;
        foreach (PixelPoint seed in seeds)
        {
            var (row, col) = features.PatchAt(seed);
            sum += map[row * features.Cols + col];
        }

        return (float)(sum / seeds.Length);
    }
}
