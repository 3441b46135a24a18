using System.Numerics.Tensors;

namespace DinoSeg.Tests.Segmentation;

/// <summary>
/// <see cref="Propagation.Graph"/>: the patch graph against a brute-force build, the conjugate-gradient solve against a dense
/// solve, the projection that large features are reduced by, and what ranking does to a click.
/// </summary>
public sealed class GraphRankingTests
{
    [Theory]
    [InlineData(1, 3, 4, 8, 10, 0.2)]
    [InlineData(2, 5, 7, 16, 10, 0.2)]
    [InlineData(3, 6, 6, 5, 3, 0.05)]
    [InlineData(4, 2, 3, 4, 64, 1.0)] // fewer patches than neighbours: every patch joins every other
    public void Build_EqualsABruteForceGraph(int seed, int rows, int cols, int dim, int k, double tau)
    {
        PatchFeatures f = SimilaritySegmenterTests.RandomFeatures(seed, rows, cols, dim, cols * 16, rows * 16);
        var options = GraphOptions.Default with { Neighbours = k, Temperature = tau };

        PatchGraph graph = PatchGraph.Build(f, options);

        double[,] expected = ReferenceS(f, k, tau);
        double[,] actual = Dense(graph);
        int n = f.PatchCount;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++) Assert.True(Math.Abs(expected[i, j] - actual[i, j]) < 1e-5, $"S[{i},{j}]: {actual[i, j]} != {expected[i, j]}");
        }

        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<int> neighbours = graph.NeighboursOf(i);
            Assert.True(neighbours.Length >= Math.Min(k, n - 1));
            Assert.DoesNotContain(i, neighbours.ToArray());
            for (int e = 1; e < neighbours.Length; e++) Assert.True(neighbours[e] > neighbours[e - 1]);
        }
    }

    [Theory]
    [InlineData(1, 0.99)]
    [InlineData(2, 0.9)]
    [InlineData(3, 0.0)]
    [InlineData(4, 0.9999)]
    public void Solve_EqualsADenseSolve(int seed, double alpha)
    {
        PatchFeatures f = SimilaritySegmenterTests.RandomFeatures(seed, 6, 7, 12, 112, 96);
        PatchGraph graph = PatchGraph.Build(f, GraphOptions.Default with { Neighbours = 4 });
        int n = graph.Nodes;
        var random = new Random(seed);
        float[] b = [.. Enumerable.Range(0, n).Select(_ => (float)Math.Max(0, random.NextDouble() * 2 - 0.6))];
        var x = new float[n];
        var solver = new GraphRanking(n);
        b.CopyTo(solver.Input);

        int iterations = solver.Solve(graph, (float)alpha, x, 1e-6, 10_000);

        double[] reference = DenseSolve(graph, alpha, b);
        double scale = reference.Max(Math.Abs);
        for (int i = 0; i < n; i++) Assert.True(Math.Abs(x[i] - reference[i]) <= 2e-4 * scale, $"f[{i}]: {x[i]} != {reference[i]} ({iterations} iterations)");
        Assert.InRange(iterations, alpha == 0 ? 0 : 1, n + 20); // CG ends in at most n steps, give or take rounding
    }

    [Fact]
    public void Solve_OnALargeGraph_SplitOverTheWorkers_ReachesTheTolerance()
    {
        // 48 × 48 = 2,304 patches: each product of the solve is split over the workers.
        PatchFeatures f = SimilaritySegmenterTests.RandomFeatures(6, 48, 48, 8, 768, 768);
        PatchGraph graph = PatchGraph.Build(f);
        int n = graph.Nodes;
        var solver = new GraphRanking(n);
        var random = new Random(2);
        for (int i = 0; i < n; i++) solver.Input[i] = (float)Math.Max(0, random.NextDouble() - 0.7);
        float[] b = solver.Input.ToArray();
        var x = new float[n];

        solver.Solve(graph, 0.99f, x, 1e-5, 10_000);

        double residual = 0, norm = 0;
        for (int i = 0; i < n; i++)
        {
            double ax = x[i];
            ReadOnlySpan<int> columns = graph.NeighboursOf(i);
            ReadOnlySpan<float> weights = graph.WeightsOf(i);
            for (int e = 0; e < columns.Length; e++) ax -= 0.99 * weights[e] * x[columns[e]];
            residual += (b[i] - ax) * (b[i] - ax);
            norm += (double)b[i] * b[i];
        }

        Assert.True(Math.Sqrt(residual / norm) < 3e-5, $"relative residual {Math.Sqrt(residual / norm)}");
    }

    [Fact]
    public void Solve_StopsAtTheToleranceOrTheIterationLimit()
    {
        PatchFeatures f = SimilaritySegmenterTests.RandomFeatures(9, 8, 8, 6, 128, 128);
        PatchGraph graph = PatchGraph.Build(f);
        var solver = new GraphRanking(64);
        solver.Input[10] = 1;
        var x = new float[64];

        int loose = solver.Solve(graph, 0.99f, x, 1e-2, 10_000);
        int tight = solver.Solve(graph, 0.99f, x, 1e-6, 10_000);
        int capped = solver.Solve(graph, 0.99f, x, 1e-6, 3);

        Assert.True(loose < tight, $"{loose} vs {tight}");
        Assert.Equal(3, capped);
    }

    [Fact]
    public void Project_OfLowRankVectors_KeepsEveryCosine()
    {
        // 700 vectors of 512 values that span 24 directions: a 64-d projection must keep their cosines.
        const int n = 700, dim = 512, rank = 24;
        var random = new Random(5);
        var basis = new float[rank * dim];
        for (int i = 0; i < basis.Length; i++) basis[i] = (float)(random.NextDouble() - 0.5);
        var vectors = new float[n * dim];
        for (int i = 0; i < n; i++)
        {
            for (int r = 0; r < rank; r++)
            {
                float c = (float)(random.NextDouble() - 0.5);
                for (int d = 0; d < dim; d++) vectors[i * dim + d] += c * basis[r * dim + d];
            }
        }

        PatchFeatures f = PatchFeatures.FromVectors(vectors, 25, 28, dim, 16, 448, 400, 448, 400, "low-rank");

        float[] projected = PrincipalProjection.Project(f.VectorMemory, n, dim, 64);

        for (int trial = 0; trial < 2000; trial++)
        {
            int i = random.Next(n), j = random.Next(n);
            double original = Dot(f.Vectors.Slice(i * dim, dim), f.Vectors.Slice(j * dim, dim));
            double reduced = Dot(projected.AsSpan(i * 64, 64), projected.AsSpan(j * 64, 64));
            Assert.True(Math.Abs(original - reduced) < 1e-3, $"cos({i},{j}): {reduced} != {original}");
        }

        Assert.True(PatchGraph.ShouldReduce(n, dim, 64));
        Assert.Equal(64, PatchGraph.Build(f).Dimension);
        Assert.True(PatchGraph.ShouldReduce(672, 896, 64)); // the embedded backbone at its default size (896-d): projected
        Assert.False(PatchGraph.ShouldReduce(100, 256, 64)); // a small grid: comparing the full vectors is cheaper
        Assert.False(PatchGraph.ShouldReduce(4096, 96, 64)); // narrow features: nothing to gain
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 3)]
    [InlineData(8, 8)]
    [InlineData(31, 5)]
    [InlineData(32, 8)]
    [InlineData(33, 2)]
    [InlineData(100, 7)]
    [InlineData(896, 8)]
    public void AddWeightedRows_IsOneMultiplyAddPerRow_BitForBit(int dim, int count)
    {
        // The projection's products used one TensorPrimitives.MultiplyAdd per row of F; the blocked kernel must give the same bits.
        var random = new Random(dim * 31 + count);
        float[] rows = Enumerable.Range(0, count * dim).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        float[] weights = Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        float[] start = Enumerable.Range(0, dim).Select(_ => (float)random.NextDouble()).ToArray();
        float[] expected = (float[])start.Clone(), actual = (float[])start.Clone();

        for (int r = 0; r < count; r++) TensorPrimitives.MultiplyAdd(rows.AsSpan(r * dim, dim), weights[r], expected, expected);
        PrincipalProjection.AddWeightedRows(rows, weights, dim, actual);

        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Project_GivesTheSameBits_WhateverWasProjectedBefore()
    {
        // The test matrix is kept between calls of one size: another size in between must not change a projection.
        PatchFeatures a = SimilaritySegmenterTests.RandomFeatures(1, 20, 30, 300, 480, 320);
        PatchFeatures b = SimilaritySegmenterTests.RandomFeatures(2, 10, 12, 200, 192, 160);

        float[] first = PrincipalProjection.Project(a.VectorMemory, a.PatchCount, a.Dim, 64);
        _ = PrincipalProjection.Project(b.VectorMemory, b.PatchCount, b.Dim, 32);
        float[] again = PrincipalProjection.Project(a.VectorMemory, a.PatchCount, a.Dim, 64);
        float[] repeated = PrincipalProjection.Project(a.VectorMemory, a.PatchCount, a.Dim, 64);

        Assert.Equal(first, again);
        Assert.Equal(first, repeated);
    }

    [Fact]
    public void RankedClick_SelectsTheWholeRegion_WherePlainSimilaritySelectsOnlyTheSeedsPart()
    {
        // Left 8 columns: one region whose vectors turn gradually from e0 to e1 (neighbouring columns alike, the ends not);
        // right 4 columns: another region (e2). A click on the left end is like the far end of its region only through the chain.
        PatchFeatures f = ChainAndBlock(out int regionWidth);
        var plain = new SimilaritySegmenter(TestOptions.Plain with { SimilaritySigma = 0 });
        var ranked = new SimilaritySegmenter(TestOptions.Unrefined with
        {
            SimilaritySigma = 0,
            Propagation = Propagation.Graph,
            Graph = GraphOptions.Default with { Neighbours = 6 },
        });
        var seed = new PixelPoint(8, 40);

        SegmentationResult p = plain.Segment(f, seed, 0.5f);
        SegmentationResult r = ranked.Segment(f, seed, 0.2f);

        Assert.Equal(0, p.Mask[40 * f.ImageWidth + regionWidth - 8]);   // plain: the far end of the region is lost
        Assert.Equal(255, r.Mask[40 * f.ImageWidth + regionWidth - 8]); // ranked: the whole region
        Assert.Equal(0, r.Mask[40 * f.ImageWidth + regionWidth + 24]);  // and nothing of the other one
        Assert.Equal(1f, r.PatchSimilarity[f.PatchAt(seed).Row * f.Cols], 5);
        foreach (float v in r.PatchSimilarity) Assert.InRange(v, 0f, 1f);
        Assert.InRange(r.Pipeline.RankingIterations, 1, 500);
    }

    [Fact]
    public void RankedClick_NegativeSeedOnTheOtherRegion_KeepsTheSeedsRegionAndExcludesTheNegatives()
    {
        PatchFeatures f = ChainAndBlock(out int regionWidth);
        var ranked = new SimilaritySegmenter(TestOptions.Unrefined with { SimilaritySigma = 0, Propagation = Propagation.Graph });
        var seed = new PixelPoint(8, 40);
        var negative = new PixelPoint(regionWidth + 30, 40);

        SegmentationResult r = ranked.Segment(f, new SegmentationPrompt([seed], [negative]), -1f);

        Assert.Equal(255, r.Mask[40 * f.ImageWidth + 8]);
        Assert.Equal(0, r.Mask[40 * f.ImageWidth + regionWidth + 30]);
        Assert.Equal(SegmentationResult.Excluded, r.Similarity[40 * f.ImageWidth + regionWidth + 30]);
        Assert.Equal(1f, r.NegativePatchSimilarity[f.PatchAt(negative).Row * f.Cols + f.PatchAt(negative).Col], 5);
    }

    [Fact]
    public void RankedClick_WithAReusedResult_AllocatesNothing_AndReusesTheGraph()
    {
        PatchFeatures f = SimilaritySegmenterTests.RandomFeatures(3, 16, 20, 32, 320, 256);
        var segmenter = new SimilaritySegmenter(TestOptions.Unrefined with { Propagation = Propagation.Graph, ComputeSoftMask = false });
        var result = new SegmentationResult(f);
        segmenter.Prepare(f);
        PatchGraph graph = f.GetGraph(segmenter.Options.Graph);
        PixelPoint[] seeds = [new(30, 40)], twoSeeds = [new(30, 40), new(100, 60)], negatives = [new(250, 200), new(200, 20)];
        void Clicks()
        {
            segmenter.Segment(f, new SegmentationPrompt(seeds), 0.3f, result);
            segmenter.Segment(f, new SegmentationPrompt(seeds, negatives), 0.3f, result);
            segmenter.SegmentAuto(f, new SegmentationPrompt(twoSeeds, negatives), into: result); // the default rule
        }

        Clicks(); // the result's buffers, the kept solves among them, grow once

        long allocated = SimilaritySegmenterTests.AllocatedBy(() =>
        {
            for (int i = 0; i < 5; i++) Clicks();
        });

        Assert.Equal(0, allocated);
        Assert.Same(graph, f.GetGraph(segmenter.Options.Graph));
        Assert.Same(graph, f.GetGraph(segmenter.Options.Graph with { Alpha = 0.5 })); // α is the solve's, not the graph's
        Assert.NotSame(graph, f.GetGraph(segmenter.Options.Graph with { Neighbours = 5 }));
    }

    [Fact]
    public void RankedAuto_PicksAThresholdOnTheRankedMap()
    {
        PatchFeatures f = ChainAndBlock(out int regionWidth);
        var ranked = new SimilaritySegmenter(TestOptions.Unrefined with { Propagation = Propagation.Graph });
        var result = new SegmentationResult(f);

        ranked.SegmentAuto(f, new SegmentationPrompt([new PixelPoint(8, 40)]), ThresholdRule.Otsu, result);

        Assert.InRange(result.Threshold, 0f, 1f);
        Assert.Equal(255, result.Mask[40 * f.ImageWidth + regionWidth - 8]);
        Assert.Equal(0, result.Mask[40 * f.ImageWidth + regionWidth + 24]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RankedClick_SeveralSeeds_IsTheMaxOfEachSeedsOwnRankedMap(int seed)
    {
        // Each seed ranks on its own and holds 1 at its patch: a seed on a weakly connected patch must not lift the others.
        PatchFeatures f = SimilaritySegmenterTests.RandomFeatures(seed, 12, 15, 24, 240, 192);
        var ranked = new SimilaritySegmenter(TestOptions.Unrefined with { SimilaritySigma = 0 });
        var random = new Random(seed);
        PixelPoint[] seeds = [.. Enumerable.Range(0, 3).Select(_ => new PixelPoint(random.Next(240), random.Next(192)))];

        SegmentationResult all = ranked.Segment(f, new SegmentationPrompt(seeds), 0.4f);

        var expected = new float[f.PatchCount];
        foreach (PixelPoint p in seeds)
        {
            SegmentationResult alone = ranked.Segment(f, new SegmentationPrompt(p), 0.4f);
            Assert.Equal(1f, alone.PatchSimilarity[f.PatchAt(p).Row * f.Cols + f.PatchAt(p).Col], 5);
            for (int i = 0; i < expected.Length; i++) expected[i] = Math.Max(expected[i], alone.PatchSimilarity[i]);
        }

        Assert.Equal(expected, all.PatchSimilarity.ToArray());
    }

    [Fact]
    public void RankedClick_ReusesTheSolvesOfEarlierClicks_AndEqualsAFreshResult()
    {
        PatchFeatures f = SimilaritySegmenterTests.RandomFeatures(11, 12, 15, 24, 240, 192);
        var ranked = new SimilaritySegmenter(TestOptions.Unrefined with { SimilaritySigma = 2 });
        PixelPoint a = new(20, 30), b = new(200, 150), n = new(120, 20);
        var session = new SegmentationResult(f);

        // A session's clicks one after another: each reuses the seeds' solves of the click before where it can.
        ranked.Segment(f, new SegmentationPrompt([a]), 0.4f, session);
        ranked.Segment(f, new SegmentationPrompt([a, b]), 0.4f, session);
        ranked.Segment(f, new SegmentationPrompt([a, b], [n]), 0.4f, session);
        ranked.Segment(f, new SegmentationPrompt([a, b], [n]), 0.4f, session);
        Assert.Equal(0, session.Pipeline.RankingIterations); // the same prompt again: every solve kept
        SegmentationResult fresh = ranked.Segment(f, new SegmentationPrompt([a, b], [n]), 0.4f);

        Assert.True(fresh.Pipeline.RankingIterations > 0);
        Assert.Equal(fresh.PatchSimilarity.ToArray(), session.PatchSimilarity.ToArray());
        Assert.Equal(fresh.NegativePatchSimilarity.ToArray(), session.NegativePatchSimilarity.ToArray());
        Assert.Equal(fresh.Mask.ToArray(), session.Mask.ToArray());

        // Other solve settings are other solves.
        var lessSpread = new SimilaritySegmenter(ranked.Options with { Graph = ranked.Options.Graph with { Alpha = 0.9 } });
        lessSpread.Segment(f, new SegmentationPrompt([a, b], [n]), 0.4f, session);
        Assert.True(session.Pipeline.RankingIterations > 0);
        Assert.Equal(lessSpread.Segment(f, new SegmentationPrompt([a, b], [n]), 0.4f).PatchSimilarity.ToArray(), session.PatchSimilarity.ToArray());
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void RankedClick_Negatives_OnlyRemovePixels_NeverTheSeedsPatch_AlwaysTheirOwn(int seed)
    {
        PatchFeatures f = SimilaritySegmenterTests.RandomFeatures(seed, 12, 15, 24, 240, 192);
        var ranked = new SimilaritySegmenter(TestOptions.Unrefined with { SimilaritySigma = 0 });
        var random = new Random(seed);
        PixelPoint positive = new(random.Next(240), random.Next(192));
        PixelPoint[] negatives = [.. Enumerable.Range(0, 2).Select(_ => new PixelPoint(random.Next(240), random.Next(192)))
            .Where(n => f.PatchAt(n) != f.PatchAt(positive))];

        SegmentationResult without = ranked.Segment(f, new SegmentationPrompt([positive]), 0.3f);
        SegmentationResult with = ranked.Segment(f, new SegmentationPrompt([positive], negatives), 0.3f);

        for (int i = 0; i < f.PatchCount; i++) Assert.True(with.PatchSimilarity[i] <= without.PatchSimilarity[i], $"patch {i} rose");
        for (int i = 0; i < with.Mask.Length; i++)
        {
            if (with.Mask[i] != 0) Assert.NotEqual(0, without.Mask[i]);
        }

        var (row, col) = f.PatchAt(positive);
        Assert.Equal(0f, with.NegativePatchSimilarity[row * f.Cols + col]); // absorbing: negatives never reach it
        foreach (PixelPoint n in negatives)
        {
            var (nr, nc) = f.PatchAt(n);
            Assert.Equal(1f, with.NegativePatchSimilarity[nr * f.Cols + nc], 5);
            Assert.True(with.PatchSimilarity[nr * f.Cols + nc] <= with.NegativePatchSimilarity[nr * f.Cols + nc] + 1e-6f);
        }
    }

    // At threshold −1 the mask is the gate alone: what the negatives leave.
    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void RankedClick_NegativeWeight_TheLowerTheLessNegativesRemove_AndPlainMapsIgnoreIt(int seed)
    {
        PatchFeatures f = SimilaritySegmenterTests.RandomFeatures(seed, 12, 15, 24, 240, 192);
        var random = new Random(seed);
        PixelPoint[] positives = [new(random.Next(240), random.Next(192))];
        PixelPoint[] negatives = [new(random.Next(240), random.Next(192)), new(random.Next(240), random.Next(192))];
        byte[] Gate(SegmentationOptions options, double weight) =>
            new SimilaritySegmenter(options with { SimilaritySigma = 0, Graph = GraphOptions.Default with { NegativeWeight = weight } })
                .Segment(f, new SegmentationPrompt(positives, negatives), -1f).Mask.ToArray();

        byte[][] gates = [.. new[] { 1, 0.8, 0.5 }.Select(w => Gate(TestOptions.Unrefined, w))];

        for (int k = 1; k < gates.Length; k++)
        {
            for (int i = 0; i < gates[k].Length; i++)
            {
                if (gates[k - 1][i] != 0) Assert.NotEqual(0, gates[k][i]);
            }
        }

        Assert.True(gates[2].Count(v => v != 0) > gates[0].Count(v => v != 0), "the weight must matter in this scene");
        Assert.Equal(Gate(TestOptions.Plain, 1), Gate(TestOptions.Plain, 0.5));
    }

    [Theory]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(10)]
    public void RankedOtsu_OnARankedMap_StaysInItsBand_AndIsOtsuOnAPlainOne(int seed)
    {
        PatchFeatures f = SimilaritySegmenterTests.RandomFeatures(seed, 12, 15, 24, 240, 192);
        var seedPoint = new PixelPoint(37, 51);
        var ranked = new SimilaritySegmenter(TestOptions.Unrefined);
        var plain = new SimilaritySegmenter(TestOptions.Plain);

        SegmentationResult r = ranked.SegmentAuto(f, new SegmentationPrompt([seedPoint]), ThresholdRule.RankedOtsu);
        SegmentationResult p = plain.SegmentAuto(f, new SegmentationPrompt([seedPoint]), ThresholdRule.RankedOtsu);

        Assert.Equal(ThresholdRule.RankedOtsu, r.AutoRule);
        Assert.Equal(Propagation.Graph, r.Propagation);
        float otsu = AutoThreshold.Otsu(r.Similarity);
        Assert.Equal(Math.Min(Math.Clamp(otsu, AutoThreshold.RankedLow, AutoThreshold.RankedHigh), r.Similarity[51 * 240 + 37]), r.Threshold);
        Assert.Equal(Propagation.None, p.Propagation);
        Assert.Equal(Math.Min(AutoThreshold.Otsu(p.Similarity), p.Similarity[51 * 240 + 37]), p.Threshold);
    }

    [Fact]
    public void Segment_WithoutAThreshold_UsesTheOptionsRule()
    {
        PatchFeatures f = ChainAndBlock(out _);
        var segmenter = new SimilaritySegmenter(TestOptions.Unrefined with { ThresholdRule = ThresholdRule.SeedMedianMidpoint });
        var seed = new PixelPoint(8, 40);

        SegmentationResult implicitRule = segmenter.Segment(f, seed);
        SegmentationResult explicitRule = segmenter.SegmentAuto(f, new SegmentationPrompt([seed]), ThresholdRule.SeedMedianMidpoint);

        Assert.Equal(ThresholdRule.SeedMedianMidpoint, implicitRule.AutoRule);
        Assert.Equal(explicitRule.Threshold, implicitRule.Threshold);
        Assert.Equal(explicitRule.Mask.ToArray(), implicitRule.Mask.ToArray());
        Assert.Equal(ThresholdRule.StableSingleSeed, SegmentationOptions.Default.ThresholdRule);
        Assert.Equal(Propagation.Graph, SegmentationOptions.Default.Propagation);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimilaritySegmenter(SegmentationOptions.Default with { ThresholdRule = (ThresholdRule)6 }));
    }

    [Fact]
    public void DefaultThreshold_IsARankFractionOnRankedMaps_AndTheBackbonesCosineOnPlainOnes()
    {
        Assert.Equal(GraphOptions.DefaultThreshold, new SimilaritySegmenter(TestOptions.Unrefined).DefaultThreshold(Backbone.ResNet18));
        Assert.Equal(Backbone.ResNet18.DefaultThreshold, new SimilaritySegmenter(TestOptions.Plain).DefaultThreshold(Backbone.ResNet18));
    }

    [Fact]
    public void Options_OutOfRange_Throw()
    {
        foreach (GraphOptions bad in new[]
        {
            GraphOptions.Default with { Neighbours = 0 }, GraphOptions.Default with { Neighbours = 65 },
            GraphOptions.Default with { Temperature = 0 }, GraphOptions.Default with { Temperature = double.NaN },
            GraphOptions.Default with { Alpha = 1 }, GraphOptions.Default with { Alpha = -0.1 },
            GraphOptions.Default with { ReducedDimension = 4 }, GraphOptions.Default with { Tolerance = 0 },
            GraphOptions.Default with { MaxIterations = 0 },
            GraphOptions.Default with { LaterSeedBarrier = -0.1 }, GraphOptions.Default with { LaterSeedBarrier = 1.1 },
            GraphOptions.Default with { LaterSeedBarrier = double.NaN },
            GraphOptions.Default with { NegativeWeight = 0 }, GraphOptions.Default with { NegativeWeight = 1.01 },
            GraphOptions.Default with { NegativeWeight = double.NaN },
        })
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => new SimilaritySegmenter(SegmentationOptions.Default with { Graph = bad }));
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => new SimilaritySegmenter(SegmentationOptions.Default with { Propagation = (Propagation)7 }));
        Assert.Throws<ArgumentNullException>(() => new SimilaritySegmenter(SegmentationOptions.Default with { Graph = null! }));
    }

    /// <summary>12 × 5 patches over 192 × 80 px: columns 0–7 a gradual chain e0 → e1 (with a little noise), columns 8–11 e2.</summary>
    private static PatchFeatures ChainAndBlock(out int regionWidth)
    {
        const int rows = 5, cols = 12, dim = 8, chain = 8;
        var random = new Random(17);
        var raw = new float[rows * cols * dim];
        for (int row = 0; row < rows; row++)
        {
            for (int col = 0; col < cols; col++)
            {
                int p = (row * cols + col) * dim;
                if (col < chain)
                {
                    double angle = Math.PI / 2 * col / (chain - 1);
                    raw[p] = (float)Math.Cos(angle);
                    raw[p + 1] = (float)Math.Sin(angle);
                }
                else
                {
                    raw[p + 2] = 1;
                }

                for (int d = 3; d < dim; d++) raw[p + d] = (float)(random.NextDouble() - 0.5) * 0.05f;
            }
        }

        regionWidth = chain * 16;
        return PatchFeatures.FromVectors(raw, rows, cols, dim, 16, cols * 16, rows * 16, cols * 16, rows * 16, "chain");
    }

    private static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += (double)a[i] * b[i];
        return sum;
    }

    /// <summary>S = D^-½ W D^-½ of the union kNN graph, from first principles in double.</summary>
    private static double[,] ReferenceS(PatchFeatures f, int k, double tau)
    {
        int n = f.PatchCount, dim = f.Dim;
        k = Math.Min(k, n - 1);
        var cos = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++) cos[i, j] = Dot(f.Vectors.Slice(i * dim, dim), f.Vectors.Slice(j * dim, dim));
        }

        var w = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            foreach (int j in Enumerable.Range(0, n).Where(j => j != i).OrderByDescending(j => cos[i, j]).ThenBy(j => j).Take(k))
            {
                w[i, j] = w[j, i] = Math.Exp((cos[i, j] - 1) / tau);
            }
        }

        var degree = new double[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++) degree[i] += w[i, j];
        }

        var s = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++) s[i, j] = w[i, j] / Math.Sqrt(degree[i] * degree[j]);
        }

        return s;
    }

    private static double[,] Dense(PatchGraph graph)
    {
        var s = new double[graph.Nodes, graph.Nodes];
        for (int i = 0; i < graph.Nodes; i++)
        {
            ReadOnlySpan<int> columns = graph.NeighboursOf(i);
            ReadOnlySpan<float> weights = graph.WeightsOf(i);
            for (int e = 0; e < columns.Length; e++) s[i, columns[e]] = weights[e];
        }

        return s;
    }

    /// <summary>(I − αS) x = b by Gaussian elimination with partial pivoting, in double.</summary>
    private static double[] DenseSolve(PatchGraph graph, double alpha, float[] b)
    {
        int n = graph.Nodes;
        double[,] s = Dense(graph);
        var a = new double[n, n + 1];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++) a[i, j] = (i == j ? 1 : 0) - alpha * s[i, j];
            a[i, n] = b[i];
        }

        for (int c = 0; c < n; c++)
        {
            int pivot = c;
            for (int r = c + 1; r < n; r++)
            {
                if (Math.Abs(a[r, c]) > Math.Abs(a[pivot, c])) pivot = r;
            }

            for (int j = 0; j <= n; j++) (a[c, j], a[pivot, j]) = (a[pivot, j], a[c, j]);
            for (int r = 0; r < n; r++)
            {
                if (r == c) continue;
                double factor = a[r, c] / a[c, c];
                for (int j = c; j <= n; j++) a[r, j] -= factor * a[c, j];
            }
        }

        return [.. Enumerable.Range(0, n).Select(i => a[i, n] / a[i, i])];
    }
}
