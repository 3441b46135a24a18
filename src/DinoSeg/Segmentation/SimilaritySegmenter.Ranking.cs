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
    /// Ranks the positive map (and the negative one) over the patch graph: f = (I − αS)⁻¹ max(s, 0), scaled so the weakest
    /// seed patch holds 1 (the map's maximum for a box alone, and for the negative map its weakest negative seed).
    /// </summary>
    private void Rank(PatchFeatures features, ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives, SegmentationResult into)
    {
        PatchGraph graph = features.GetGraph(Options.Graph);
        into.RankingIterations = RankMap(graph, features, positives, into.PatchSimilarityBuffer, into);
        if (!negatives.IsEmpty) into.RankingIterations += RankMap(graph, features, negatives, into.NegativeSimilarityBuffer, into);
    }

    private int RankMap(PatchGraph graph, PatchFeatures features, ReadOnlySpan<PixelPoint> seeds, Span<float> map, SegmentationResult into)
    {
        GraphRanking ranking = into.Ranking;
        TensorPrimitives.Max(map, 0f, ranking.Input);
        GraphOptions o = Options.Graph;
        int iterations = ranking.Solve(graph, (float)o.Alpha, map, o.Tolerance, o.MaxIterations);
        float reference = float.NaN;
        foreach (PixelPoint seed in seeds)
        {
            var (row, col) = features.PatchAt(seed);
            float value = map[row * features.Cols + col];
            reference = float.IsNaN(reference) ? value : MathF.Min(reference, value);
        }

        GraphRanking.Normalise(map, reference);
        return iterations;
    }
}
