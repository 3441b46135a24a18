using DinoSeg.Kernels;
namespace DinoSeg.Tests.Segmentation;

public sealed class SimilaritySegmenterTests
{
    /// <summary>A 4 x 6 grid of 16-px patches over a 96 x 64 image: left half one vector, right half another, one odd patch.</summary>
    internal static PatchFeatures TwoHalves()
    {
        const int rows = 4, cols = 6, dim = 4;
        var raw = new float[rows * cols * dim];
        for (int p = 0; p < rows * cols; p++)
        {
            int col = p % cols;
            raw[p * dim + (col < 3 ? 0 : 1)] = 1;
            raw[p * dim + 2] = 0.2f * (p % 3);
        }

        raw[(1 * cols + 4) * dim + 3] = 5; // patch (1,4) is unlike everything
        return PatchFeatures.FromVectors(raw, rows, cols, dim, 16, 96, 64, 96, 64, "test");
    }

    /// <summary>Uniform random vectors (seeded) on a rows x cols grid of 16-px patches over a width x height image.</summary>
    internal static PatchFeatures RandomFeatures(int seed, int rows, int cols, int dim, int width, int height)
    {
        var random = new Random(seed);
        var raw = new float[rows * cols * dim];
        for (int i = 0; i < raw.Length; i++) raw[i] = (float)random.NextDouble() - 0.5f;
        return PatchFeatures.FromVectors(raw, rows, cols, dim, 16, cols * 16, rows * 16, width, height, "random");
    }

    /// <summary>Bytes <paramref name="clicks"/> allocates on this thread (warm it up first).</summary>
    internal static long AllocatedBy(Action clicks)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        clicks();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void Segment_SeedInLeftHalf_SelectsTheLeftHalf()
    {
        var segmenter = new SimilaritySegmenter(TestOptions.Plain with { SimilaritySigma = 0 });

        SegmentationResult r = segmenter.Segment(TwoHalves(), new PixelPoint(10, 10), threshold: 0.5f);

        Assert.Equal(255, r.Mask[30 * 96 + 20]);
        Assert.Equal(0, r.Mask[30 * 96 + 80]);
        Assert.InRange(r.AreaFraction, 0.4, 0.6);
        Assert.Equal(r.SelectedPixels, r.Mask.ToArray().Count(b => b == 255));
        Assert.Equal(1f, r.PatchSimilarity[0], 5);
    }

    [Fact]
    public void Segment_TwoSeeds_MaxCombinesAndSelectsBothHalves()
    {
        var segmenter = new SimilaritySegmenter(TestOptions.Plain);

        SegmentationResult r = segmenter.Segment(TwoHalves(), new SegmentationPrompt([new PixelPoint(10, 10), new PixelPoint(90, 60)]), threshold: 0.5f);

        Assert.Equal(2, r.Seeds.Count);
        Assert.Equal(255, r.Mask[30 * 96 + 20]);
        Assert.Equal(255, r.Mask[60 * 96 + 80]);
        Assert.Equal(0, r.Mask[24 * 96 + 72]); // the odd patch (1,4)
    }

    [Fact]
    public void Segment_MeanCombine_AveragesTheSeedSimilarities()
    {
        PatchFeatures f = TwoHalves();
        var max = new SimilaritySegmenter(TestOptions.Plain).Segment(f, new SegmentationPrompt([new PixelPoint(10, 10), new PixelPoint(90, 60)]), 0f);
        var mean = new SimilaritySegmenter(TestOptions.Plain with { SeedCombine = SeedCombine.Mean })
            .Segment(f, new SegmentationPrompt([new PixelPoint(10, 10), new PixelPoint(90, 60)]), 0f);
        var a = new SimilaritySegmenter(TestOptions.Plain).Segment(f, new PixelPoint(10, 10), 0f);
        var b = new SimilaritySegmenter(TestOptions.Plain).Segment(f, new PixelPoint(90, 60), 0f);

        for (int p = 0; p < f.PatchCount; p++)
        {
            Assert.Equal((a.PatchSimilarity[p] + b.PatchSimilarity[p]) / 2, mean.PatchSimilarity[p], 5);
            Assert.Equal(MathF.Max(a.PatchSimilarity[p], b.PatchSimilarity[p]), max.PatchSimilarity[p], 5);
        }
    }

    [Fact]
    public void Rethreshold_Higher_NeverGrowsTheMask_AndMatchesAFreshSegment()
    {
        PatchFeatures f = TwoHalves();
        var segmenter = new SimilaritySegmenter(TestOptions.Plain);
        SegmentationResult r = segmenter.Segment(f, new PixelPoint(10, 10), -1f);
        int previous = r.SelectedPixels;

        foreach (float t in new[] { -0.5f, 0f, 0.3f, 0.6f, 0.9f, 1f })
        {
            segmenter.Rethreshold(r, t);
            Assert.True(r.SelectedPixels <= previous);
            Assert.Equal(segmenter.Segment(f, new PixelPoint(10, 10), t).Mask.ToArray(), r.Mask.ToArray());
            previous = r.SelectedPixels;
        }
    }

    [Fact]
    public void Segment_ThresholdMinusOne_SelectsEverything()
    {
        SegmentationResult r = new SimilaritySegmenter(TestOptions.Plain).Segment(TwoHalves(), new PixelPoint(10, 10), -1f);

        Assert.Equal(96 * 64, r.SelectedPixels);
    }

    [Fact]
    public void SoftMask_IsOneInsideZeroFarOutside_AndBetweenAtTheEdge()
    {
        SegmentationResult r = new SimilaritySegmenter(TestOptions.Plain with { SimilaritySigma = 0, FeatherSigma = 3 })
            .Segment(TwoHalves(), new PixelPoint(10, 10), 0.5f);

        Assert.True(r.HasSoftMask);
        Assert.Equal(1f, r.GetSoftMask()[30 * 96 + 10], 4);
        Assert.Equal(0f, r.GetSoftMask()[30 * 96 + 85], 4);
        Assert.InRange(r.GetSoftMask()[30 * 96 + 48], 0.2f, 0.8f); // the edge between the halves is at x = 48
        Assert.All(r.GetSoftMask().ToArray(), v => Assert.InRange(v, 0f, 1.00001f));
    }

    [Fact]
    public void SoftMask_FeatherZero_EqualsTheBinaryMask()
    {
        SegmentationResult r = new SimilaritySegmenter(TestOptions.Plain with { FeatherSigma = 0 })
            .Segment(TwoHalves(), new PixelPoint(10, 10), 0.5f);

        Assert.Equal(r.Mask.ToArray().Select(b => b / 255f), r.GetSoftMask().ToArray());
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(9.0)] // a reach of 36 rows: wider than one band of the feather
    public void SoftMask_OnATallImage_IsTheTwoPassBlurOfTheMask_BitForBit(double featherSigma)
    {
        // Arrange: random features on a 21 x 13 grid stretched over 203 x 331 pixels, so the mask has many ragged edges.
        var random = new Random(17);
        const int rows = 21, cols = 13, dim = 8, width = 203, height = 331;
        var raw = new float[rows * cols * dim];
        for (int i = 0; i < raw.Length; i++) raw[i] = (float)(random.NextDouble() * 2 - 1);
        PatchFeatures features = PatchFeatures.FromVectors(raw, rows, cols, dim, 16, cols * 16, rows * 16, width, height, "random");

        // Act
        SegmentationResult r = new SimilaritySegmenter(TestOptions.Plain with { FeatherSigma = featherSigma })
            .Segment(features, new PixelPoint(100, 160), 0.1f);

        // Assert: the feather works in bands of rows; the whole-image two-pass blur of the same 0/1 mask gives the same bits.
        float[] unit = Array.ConvertAll(r.Mask.ToArray(), b => b == 0 ? 0f : 1f);
        float[] kernel = Array.ConvertAll(AxisWeights.GaussianKernel(featherSigma), w => (float)w);
        var scratch = new float[GaussianBlur.ScratchLength(height, width, featherSigma)];
        var expected = new float[width * height];
        GaussianBlur.Apply(unit, AxisWeights.Gaussian(height, featherSigma), kernel, width, scratch, expected);
        Assert.InRange(r.SelectedPixels, width * height / 10, width * height * 9 / 10);
        Assert.Equal(expected, r.GetSoftMask().ToArray());
    }

    [Fact]
    public void SoftMask_Off_IsEmpty()
    {
        SegmentationResult r = new SimilaritySegmenter(TestOptions.Plain with { ComputeSoftMask = false })
            .Segment(TwoHalves(), new PixelPoint(10, 10), 0.5f);

        Assert.False(r.HasSoftMask);
        Assert.True(r.GetSoftMask().IsEmpty);
    }

    [Fact]
    public void Segment_IntoReusedResult_AllocatesNothing()
    {
        PatchFeatures f = TwoHalves();
        var segmenter = new SimilaritySegmenter(TestOptions.Plain);
        var result = new SegmentationResult(f);
        PixelPoint[] seeds = [new PixelPoint(10, 10)];
        PixelPoint[] other = [new PixelPoint(90, 60), new PixelPoint(5, 5)];
        segmenter.Segment(f, new SegmentationPrompt(seeds), 0.5f, result); // builds the cached weights and scratch
        segmenter.Segment(f, new SegmentationPrompt(other), 0.5f, result);

        long before = GC.GetAllocatedBytesForCurrentThread();
        segmenter.Segment(f, new SegmentationPrompt(seeds), 0.4f, result);
        segmenter.Segment(f, new SegmentationPrompt(other), 0.6f, result);
        segmenter.Rethreshold(result, 0.7f);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(-1.01f)]
    [InlineData(1.5f)]
    [InlineData(float.PositiveInfinity)]
    public void Segment_ThresholdOutsideMinusOneToOne_Throws(float threshold)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new SimilaritySegmenter(TestOptions.Plain).Segment(TwoHalves(), new PixelPoint(1, 1), threshold));

        Assert.Equal("threshold", e.ParamName);
    }

    [Fact]
    public void Segment_SeedOutsideImage_ThrowsBeforeAnyWork()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimilaritySegmenter(TestOptions.Plain).Segment(TwoHalves(), new PixelPoint(96, 0), 0.5f));
        Assert.Throws<ArgumentException>(() => new SimilaritySegmenter(TestOptions.Plain).Segment(TwoHalves(), new SegmentationPrompt(ReadOnlySpan<PixelPoint>.Empty), 0.5f));
    }

    [Fact]
    public void Segment_ResultForOtherFeatures_Throws()
    {
        var other = PatchFeatures.FromVectors(new float[8], 1, 2, 4, 16, 32, 16, 32, 16, "test");

        Assert.Throws<ArgumentException>(() => new SimilaritySegmenter(TestOptions.Plain).Segment(TwoHalves(), new SegmentationPrompt([new PixelPoint(1, 1)]), 0.5f, new SegmentationResult(other)));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    [InlineData(1e9)]
    public void Options_BadSigma_ThrowsNamingTheOption(double sigma)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimilaritySegmenter(TestOptions.Plain with { SimilaritySigma = sigma }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimilaritySegmenter(TestOptions.Plain with { FeatherSigma = sigma }));
    }
}
