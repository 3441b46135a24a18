using System.Numerics.Tensors;

namespace DinoSeg;

public sealed partial class SimilaritySegmenter
{
    /// <summary>
    /// Builds, ahead of the first click, what these options need per image beyond the features (the patch graph for
    /// <see cref="Propagation.Graph"/>; nothing otherwise), so that click feels as instant as the next. Optional: the first
    /// click builds it otherwise. The features keep it (<see cref="PatchFeatures.GetGraph"/>).
    /// </summary>
    public void Prepare(PatchFeatures features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (Options.Propagation == Propagation.Graph) features.GetGraph(Options.Graph);
    }

    /// <summary>
    /// The ranked s⁺ and s⁻: each prompt source (a seed, the box prototype) is ranked on its own, f = (I − αS)⁻¹ max(s, 0),
    /// scaled so its own seed patch holds 1 (the box: the map's maximum), and the sources combine by max. Ranking the
    /// sources apart keeps every seed's own region selected: one combined solve scaled by its weakest seed lifts the whole
    /// map towards 1 when a seed sits on a weakly connected patch. With <see cref="SeedCombine.Mean"/> the positives are
    /// one averaged source, scaled by the mean of their seeds' ranks.
    /// </summary>
    /// <remarks>
    /// Seeds of the other sign absorb (held at 0, so nothing ranks through them): the negatives' solve never reaches a
    /// positive seed's patch, so a negative never removes it, and wins its own (the gate keeps only where s⁺ is strictly
    /// above s⁻, and s⁺ is at most 1). With negatives, s⁺ is the smaller of the plain ranking and the one absorbed at the
    /// negatives: the negatives stop the spread through their patches, yet at a fixed threshold they only ever remove pixels.
    /// </remarks>
    private void Rank(PatchFeatures features, ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives, bool box,
        SegmentationResult into)
    {
        PatchGraph graph = features.GetGraph(Options.Graph);
        GraphRanking ranking = into.Ranking;
        ranking.SetAbsorbing(features, []);
        RankPositives(graph, features, positives, box, into.PatchSimilarityBuffer, into);
        if (negatives.IsEmpty) return;

        // The negative map's buffer is free until the negatives are ranked: it holds the absorbed positive map meanwhile.
        Span<float> absorbed = into.NegativeSimilarityBuffer;
        ranking.SetAbsorbing(features, negatives);
        RankPositives(graph, features, positives, box, absorbed, into);
        TensorPrimitives.Min(into.PatchSimilarityBuffer, absorbed, into.PatchSimilarityBuffer);

        ranking.SetAbsorbing(features, positives);
        into.NegativeSimilarityBuffer.Clear();
        RankSeedsInto(graph, features, negatives, into.NegativeSimilarityBuffer, into);
    }

    private void RankPositives(PatchGraph graph, PatchFeatures features, ReadOnlySpan<PixelPoint> positives, bool box, Span<float> map,
        SegmentationResult into)
    {
        // One seed takes the per-seed path below (its solve can be kept for the next click); a box alone or averaged
        // seeds (SeedCombine.Mean) are one combined source.
        bool oneSeed = positives.Length == 1 && !box;
        if (!oneSeed && TryCombineIntoOneVector(features, positives, box, into))
        {
            into.ComputeScratchSimilarity(features);
            into.RankingScratch.CopyTo(map);
            into.RankingIterations += Solve(graph, map, into);
            GraphRanking.Normalise(map, positives.IsEmpty ? float.NaN : MeanAtSeeds(features, positives, map));
            return;
        }

        map.Clear(); // ranked maps lie in [0, 1]: 0 is the identity of their max
        if (box)
        {
            into.BoxVector.CopyTo(into.Vector);
            RankSourceInto(graph, features, -1, map, into);
        }

        RankSeedsInto(graph, features, positives, map, into);
    }

    private void RankSeedsInto(PatchGraph graph, PatchFeatures features, ReadOnlySpan<PixelPoint> seeds, Span<float> combined, SegmentationResult into)
    {
        foreach (PixelPoint seed in seeds)
        {
            var (row, col) = features.PatchAt(seed);
            features.GetPatch(row, col).CopyTo(into.Vector);
            RankSourceInto(graph, features, row * features.Cols + col, combined, into);
        }
    }

    /// <summary>Ranks the similarity to <see cref="SegmentationResult.Vector"/>, scaled by its value at <paramref name="referencePatch"/> (its maximum when −1), into the max of <paramref name="combined"/>.</summary>
    /// <remarks>A seed's finished map is kept by the result's ranking and reused while the graph, the solve settings and the absorbing patches stay the same.</remarks>
    private void RankSourceInto(PatchGraph graph, PatchFeatures features, int referencePatch, Span<float> combined, SegmentationResult into)
    {
        Span<float> map = into.RankingScratch;
        GraphRanking ranking = into.Ranking;
        GraphOptions o = Options.Graph;
        float alpha = (float)o.Alpha;
        if (referencePatch < 0 || !ranking.TryReuse(graph, alpha, o.Tolerance, o.MaxIterations, referencePatch, map))
        {
            into.ComputeScratchSimilarity(features);
            into.RankingIterations += Solve(graph, map, into);
            GraphRanking.Normalise(map, referencePatch < 0 ? float.NaN : map[referencePatch]);
            if (referencePatch >= 0) ranking.Remember(graph, alpha, o.Tolerance, o.MaxIterations, referencePatch, map);
        }

        TensorPrimitives.Max(combined, map, combined);
    }

    /// <summary>Solves the ranking of <paramref name="map"/> in place: f = (I − αS)⁻¹ max(map, 0).</summary>
    private int Solve(PatchGraph graph, Span<float> map, SegmentationResult into)
    {
        GraphRanking ranking = into.Ranking;
        TensorPrimitives.Max(map, 0f, ranking.Input);
        GraphOptions o = Options.Graph;
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
