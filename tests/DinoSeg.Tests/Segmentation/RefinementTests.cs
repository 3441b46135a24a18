using DinoSeg.Evaluation;
using DinoSeg.Kernels;

namespace DinoSeg.Tests.Segmentation;

public sealed class RefinementTests
{
    /// <summary>
    /// 8 x 8 patches over a 128 x 128 image whose true object is x &lt; 56 (mid-patch: patch column 3 covers 48..63).
    /// Patch features: columns 0–2 are "object", 4–7 "background", column 3 the mixture a real backbone gives.
    /// The guide is dark on the object and light elsewhere, with its edge exactly at x = 56.
    /// </summary>
    private static (PatchFeatures Features, RefinementGuide Guide, byte[] Truth) OffGridEdge()
    {
        const int n = 8, size = 128, edge = 56;
        var raw = new float[n * n * 2];
        for (int p = 0; p < n * n; p++)
        {
            int col = p % n;
            float objectness = col < 3 ? 1 : col == 3 ? 0.5f : 0;
            raw[2 * p] = objectness;
            raw[2 * p + 1] = 1 - objectness;
        }

        var grey = new float[size * size];
        var truth = new byte[size * size];
        for (int i = 0; i < grey.Length; i++)
        {
            bool inside = i % size < edge;
            grey[i] = inside ? 0.2f : 0.8f;
            truth[i] = inside ? (byte)255 : (byte)0;
        }

        var features = PatchFeatures.FromVectors(raw, n, n, 2, 16, size, size, size, size, "test");
        return (features, RefinementGuide.FromGrey(grey, size, size), truth);
    }

    [Fact]
    public void GuidedFilter_MovesTheMaskEdgeOntoTheImageEdge()
    {
        var (features, guide, truth) = OffGridEdge();
        var plain = new SimilaritySegmenter(TestOptions.Unrefined with { SimilaritySigma = 4 });
        var refined = new SimilaritySegmenter(TestOptions.Unrefined with { SimilaritySigma = 4, Refinement = Refinement.GuidedFilter, RefineRadius = 8 });

        // Threshold 0.5: the plain map crosses it at x ≈ 61, between the mixed column's centre (0.71) and the background's (0).
        SegmentationResult a = plain.Segment(features, new PixelPoint(10, 60), 0.5f);
        var b = new SegmentationResult(features) { Guide = guide };
        refined.Segment(features, new SegmentationPrompt([new PixelPoint(10, 60)]), 0.5f, b);

        double before = MaskMetrics.IoU(a.Mask, truth), after = MaskMetrics.IoU(b.Mask, truth);
        Assert.True(after > before + 0.02, $"IoU {before:0.000} → {after:0.000}");
        Assert.True(after > 0.97, $"IoU after refinement {after:0.000}");
    }

    [Fact]
    public void GuidedFilter_WithoutGuide_ThrowsBeforeAnyWork()
    {
        var (features, _, _) = OffGridEdge();
        var refined = new SimilaritySegmenter(TestOptions.Unrefined with { Refinement = Refinement.GuidedFilter });
        var result = new SegmentationResult(features);

        Assert.Throws<ArgumentException>("into", () => refined.Segment(features, new SegmentationPrompt([new PixelPoint(10, 60)]), 0.5f, result));
        Assert.Empty(result.Seeds);
    }

    [Fact]
    public void Guide_OfAnotherSize_IsRefused()
    {
        var (features, _, _) = OffGridEdge();
        var result = new SegmentationResult(features);
        Assert.Throws<ArgumentException>("value", () => result.Guide = RefinementGuide.FromGrey(new float[12], 4, 3));
    }

    [Fact]
    public void Refined_WithNegativesAndAuto_KeepsExcludedPixelsAndAllocatesNothing()
    {
        var (features, guide, _) = OffGridEdge();
        var refined = new SimilaritySegmenter(TestOptions.Unrefined with { Refinement = Refinement.GuidedFilter });
        var result = new SegmentationResult(features) { Guide = guide };
        PixelPoint[] positives = [new(10, 60)], negatives = [new(120, 60)];
        refined.SegmentAuto(features, new SegmentationPrompt(positives, negatives), ThresholdRule.PatchOtsu, result);

        long before = GC.GetAllocatedBytesForCurrentThread();
        refined.SegmentAuto(features, new SegmentationPrompt(positives, negatives), ThresholdRule.Otsu, result);
        refined.Segment(features, new SegmentationPrompt(positives, negatives), 0.5f, result);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(SegmentationResult.Excluded, result.Similarity[60 * 128 + 120]);
        Assert.All(result.Similarity.ToArray(), v => Assert.True(v == SegmentationResult.Excluded || v is >= -1 and <= 1));
    }

    [Fact]
    public void Refined_LargeEnoughToSplitOverWorkers_IsBitIdenticalToTheSingleThreadFilterAndAllocatesNothing()
    {
        // 520 x 392 (odd vector tails): big enough that rows and columns are split into parts on a machine with 2+ cores.
        const int rows = 24, cols = 32, dim = 8, width = 520, height = 392, radius = 9;
        const float epsilon = 0.004f;
        var random = new Random(7);
        var raw = new float[rows * cols * dim];
        for (int i = 0; i < raw.Length; i++) raw[i] = (float)random.NextDouble() - 0.3f;
        var grey = new float[width * height];
        for (int i = 0; i < grey.Length; i++) grey[i] = (i % width < 200 ? 0.2f : 0.7f) + 0.1f * (float)random.NextDouble();
        var features = PatchFeatures.FromVectors(raw, rows, cols, dim, 16, cols * 16, rows * 16, width, height, "test");
        var guide = RefinementGuide.FromGrey(grey, width, height);
        SegmentationOptions options = TestOptions.Unrefined with { ComputeSoftMask = false, RefineRadius = radius, RefineEpsilon = epsilon };
        PixelPoint[] positives = [new(100, 200)], negatives = [new(450, 60)];

        var plain = new SimilaritySegmenter(options).Segment(features, new SegmentationPrompt(positives, negatives), 0.3f);
        var refined = new SimilaritySegmenter(options with { Refinement = Refinement.GuidedFilter });
        var result = new SegmentationResult(features) { Guide = guide };
        refined.Segment(features, new SegmentationPrompt(positives, negatives), 0.3f, result);
        long before = GC.GetAllocatedBytesForCurrentThread();
        refined.Segment(features, new SegmentationPrompt(positives, negatives), 0.3f, result);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        float[] map = plain.Similarity.ToArray(), p = new float[map.Length], q = new float[map.Length];
        float[] mean = new float[map.Length], variance = new float[map.Length];
        GuidedFilter.GuideStatistics(grey, width, height, radius, mean, variance, new float[2 * map.Length + width]);
        for (int i = 0; i < map.Length; i++) p[i] = Math.Max(map[i], -1f);
        GuidedFilter.Apply(grey, mean, variance, p, width, height, radius, epsilon, q, new float[GuidedFilter.ScratchLength(width, height)]);
        var expected = new int[map.Length];
        for (int i = 0; i < map.Length; i++) expected[i] = BitConverter.SingleToInt32Bits(map[i] < -1f ? SegmentationResult.Excluded : Math.Clamp(q[i], -1f, 1f));

        Assert.Equal(expected, result.Similarity.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray());
        Assert.Contains(map, v => v == SegmentationResult.Excluded);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Options_BadRefinementSettings_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>("RefineRadius", () => new SimilaritySegmenter(SegmentationOptions.Default with { RefineRadius = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>("RefineEpsilon", () => new SimilaritySegmenter(SegmentationOptions.Default with { RefineEpsilon = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>("Refinement", () => new SimilaritySegmenter(SegmentationOptions.Default with { Refinement = (Refinement)9 }));
    }
}
