using DinoSeg.Tests.Segmentation;

namespace DinoSeg.Tests.Masks;

/// <summary>
/// Hole filling and outline smoothing against plain references (breadth-first search, a direct window count) on random
/// masks, and both end to end: every prompt and the slider, allocation-free, the same bits from many threads.
/// </summary>
public sealed class MaskCleanupTests
{
    /// <summary>The reference: 4-connected off regions by BFS; fill those that touch no border and no negative, up to an area.</summary>
    private static byte[] FillHolesReference(byte[] mask, int width, int height, PixelPoint[] negatives, int maxArea)
    {
        int[] label = MaskTestData.Components(mask, width, height, on: false, eight: false, out List<int> areas, out List<bool> border);
        var open = new HashSet<int>(negatives.Select(n => label[n.Y * width + n.X]).Where(l => l >= 0));
        var result = (byte[])mask.Clone();
        for (int i = 0; i < mask.Length; i++)
        {
            int l = label[i];
            if (l >= 0 && !border[l] && !open.Contains(l) && areas[l] <= maxArea) result[i] = 255;
        }

        return result;
    }

    /// <summary>The reference: count the on pixels of the clipped (2r + 1)² square of every pixel directly.</summary>
    private static byte[] SmoothReference(byte[] mask, int width, int height, int radius)
    {
        var result = new byte[mask.Length];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int on = 0, all = 0;
                for (int v = Math.Max(0, y - radius); v <= Math.Min(height - 1, y + radius); v++)
                {
                    for (int u = Math.Max(0, x - radius); u <= Math.Min(width - 1, x + radius); u++)
                    {
                        all++;
                        on += mask[v * width + u] != 0 ? 1 : 0;
                    }
                }

                bool self = mask[y * width + x] != 0;
                result[y * width + x] = 2 * on > all || (2 * on == all && self) ? (byte)255 : (byte)0;
            }
        }

        return result;
    }

    public static TheoryData<int, int> Sizes => new() { { 1, 1 }, { 1, 23 }, { 29, 1 }, { 2, 2 }, { 7, 5 }, { 64, 48 }, { 97, 61 }, { 150, 110 } };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void FillHoles_RandomMasks_MatchesTheFloodFillReference(int width, int height)
    {
        var random = new Random(width * 31 + height);
        var filter = new RegionFilter();
        for (int trial = 0; trial < 16; trial++)
        {
            // Arrange: noise of several densities and blobs with rings; areas from tiny to everything.
            byte[] mask = trial % 2 == 0 ? MaskTestData.Noise(random, width, height, 0.3 + 0.1 * (trial % 5)) : MaskTestData.Blobs(random, width, height);
            PixelPoint[] negatives = [.. Enumerable.Range(0, trial % 3).Select(_ => new PixelPoint(random.Next(width), random.Next(height)))];
            int maxArea = trial % 4 == 3 ? int.MaxValue : 1 + random.Next(60);
            byte[] expected = FillHolesReference(mask, width, height, negatives, maxArea);
            int before = mask.Count(b => b != 0);

            // Act
            int filled = filter.FillHoles(mask, width, height, [.. negatives], maxArea);

            // Assert
            int same = expected.AsSpan().CommonPrefixLength(mask);
            Assert.True(same == mask.Length, $"{width}x{height} trial {trial} (max area {maxArea}): pixel ({same % width},{same / width}) differs.");
            Assert.Equal(mask.Count(b => b != 0) - before, filled);
        }
    }

    [Fact]
    public void FillHoles_RingClosedOnlyAtADiagonal_StillEnclosesItsHole()
    {
        // The ring's corner pixels touch only diagonally: 8-connected, it is closed, so the centre is a hole (4-connected).
        string[] rows =
        [
            ".....",
            "..#..",
            ".#.#.",
            "..#..",
            ".....",
        ];
        byte[] mask = Parse(rows);

        int filled = new RegionFilter().FillHoles(mask, 5, 5, [], maxArea: 1);

        Assert.Equal(1, filled);
        Assert.Equal(255, mask[2 * 5 + 2]);
    }

    [Fact]
    public void FillHoles_HoleTouchingTheBorderOrHoldingANegative_StaysOpen()
    {
        string[] rows =
        [
            "#.####",
            "#.#..#",
            "####.#",
            "######",
        ];
        byte[] mask = Parse(rows);
        byte[] copy = (byte[])mask.Clone();

        int touching = new RegionFilter().FillHoles(mask, 6, 4, [], int.MaxValue);
        int marked = new RegionFilter().FillHoles(copy, 6, 4, [new PixelPoint(3, 1)], int.MaxValue);

        Assert.Equal(3, touching); // the 3-pixel hole; the gap at the top touches the border
        Assert.Equal(0, marked);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Smooth_RandomMasks_MatchesTheDirectWindowCount(int width, int height)
    {
        var random = new Random(width * 17 + height);
        var smoothing = new MaskSmoothing();
        foreach (int radius in new[] { 1, 2, 3, 5, 40 })
        {
            // Arrange
            byte[] mask = radius % 2 == 0 ? MaskTestData.Noise(random, width, height, 0.5) : MaskTestData.Blobs(random, width, height, 0.05);
            byte[] expected = SmoothReference(mask, width, height, radius);
            byte[] before = (byte[])mask.Clone();

            // Act
            int selected = smoothing.Apply(mask, width, height, radius, out int changed);

            // Assert
            int same = expected.AsSpan().CommonPrefixLength(mask);
            Assert.True(same == mask.Length, $"{width}x{height} radius {radius}: pixel ({same % width},{same / width}) differs.");
            Assert.Equal(mask.Count(b => b != 0), selected);
            Assert.Equal(before.Zip(mask).Count(p => p.First != p.Second), changed);
        }
    }

    [Fact]
    public void Smooth_SpeckAndNotch_AreRemovedAndAStraightEdgeStays()
    {
        // Left half on with a one-pixel notch; a lone speck on the right.
        const int w = 20, h = 12;
        var mask = new byte[w * h];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < 10; x++) mask[y * w + x] = 255;
        }

        mask[5 * w + 9] = 0;
        mask[3 * w + 15] = 255;

        new MaskSmoothing().Apply(mask, w, h, 1, out _);

        Assert.Equal(255, mask[5 * w + 9]);
        Assert.Equal(0, mask[3 * w + 15]);
        for (int y = 0; y < h; y++)
        {
            Assert.Equal(255, mask[y * w + 9]);
            Assert.Equal(0, mask[y * w + 10]);
        }
    }

    private const int Width = 300, Height = 190;
    private static readonly PixelPoint Seed = new(90, 60), Negative = new(200, 40);

    private static SegmentationOptions CleanUp(SegmentationOptions basis, bool regions) => basis with
    {
        FillHolesArea = 300,
        SmoothRadius = 3,
        KeepSeedRegionsOnly = regions,
        MinRegionArea = regions ? 0 : 50,
    };

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Segment_WithCleanUp_IsTheThresholdThenSmoothRegionsAndFillInThatOrder(bool ranked, bool regions)
    {
        PatchFeatures f = SimilaritySegmenterTests.RandomFeatures(5, 12, 19, 16, Width, Height);
        SegmentationOptions basis = ranked ? TestOptions.Unrefined : TestOptions.Plain;
        var plain = new SimilaritySegmenter(basis);
        var cleaned = new SimilaritySegmenter(CleanUp(basis, regions));
        foreach (float t in new[] { 0.05f, 0.2f, 0.4f })
        {
            // Arrange: the plain threshold, cleaned up step by step by the references.
            SegmentationResult raw = plain.Segment(f, new SegmentationPrompt([Seed], [Negative]), t);
            byte[] expected = SmoothReference(raw.Mask.ToArray(), Width, Height, 3);
            new RegionFilter().Apply(expected, Width, Height, [Seed], null, regions, regions ? 0 : 50);
            expected = FillHolesReference(expected, Width, Height, [Negative], 300);

            // Act
            SegmentationResult result = cleaned.Segment(f, new SegmentationPrompt([Seed], [Negative]), t);

            // Assert
            Assert.True(expected.AsSpan().SequenceEqual(result.Mask), $"ranked {ranked}, regions {regions}, threshold {t}");
            Assert.Equal(expected.Count(b => b != 0), result.SelectedPixels);
        }
    }

    [Fact]
    public void Rethreshold_WithCleanUp_EqualsAFreshSegmentAtEachThreshold()
    {
        PatchFeatures f = SimilaritySegmenterTests.RandomFeatures(9, 12, 19, 16, Width, Height);
        var segmenter = new SimilaritySegmenter(CleanUp(TestOptions.Unrefined, regions: false));
        var result = new SegmentationResult(f);
        segmenter.SegmentAuto(f, new SegmentationPrompt([Seed]), ThresholdRule.RankedOtsu, result);
        var random = new Random(4);
        for (int step = 0; step < 12; step++)
        {
            float t = (float)(random.NextDouble() * 0.8);
            segmenter.Rethreshold(result, t);

            SegmentationResult fresh = segmenter.Segment(f, new SegmentationPrompt([Seed]), t);
            Assert.True(fresh.Mask.SequenceEqual(result.Mask), $"step {step}, threshold {t}");
            Assert.Equal(fresh.SelectedPixels, result.SelectedPixels);
        }
    }

    [Theory]
    [InlineData(3, false)]
    [InlineData(16, false)]
    [InlineData(16, true)]
    public void Segment_WithCleanUpIntoReusedResult_AllocatesNothing(int radius, bool ranked)
    {
        PatchFeatures f = SimilaritySegmenterTests.RandomFeatures(5, 12, 19, 16, Width, Height);
        var segmenter = new SimilaritySegmenter(CleanUp(ranked ? TestOptions.Unrefined : TestOptions.Plain, regions: true) with { SmoothRadius = radius });
        var result = new SegmentationResult(f);
        PixelPoint[] seeds = [Seed];
        PixelPoint[] negatives = [Negative];
        void Clicks()
        {
            segmenter.Segment(f, new SegmentationPrompt(seeds, negatives), 0.15f, result);
            segmenter.Rethreshold(result, 0.25f);
            segmenter.Rethreshold(result, 0.05f);
            segmenter.Segment(f, new SegmentationPrompt(seeds), 0.2f, result);
        }

        // Warm-up: the buffers are made, and the run buffers grow to the most runs these masks have; then reused.
        Clicks();

        long allocated = SimilaritySegmenterTests.AllocatedBy(Clicks);

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Segment_WithCleanUpFrom8Threads_MatchesSequentialBitForBit()
    {
        PatchFeatures f = SimilaritySegmenterTests.RandomFeatures(6, 12, 19, 16, Width, Height);
        var segmenter = new SimilaritySegmenter(CleanUp(TestOptions.Unrefined, regions: false));
        byte[] expected = segmenter.Segment(f, new SegmentationPrompt([Seed], [Negative]), 0.2f).Mask.ToArray();
        var masks = new byte[8][];

        System.Threading.Tasks.Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
        {
            var result = new SegmentationResult(f);
            for (int k = 0; k < 3; k++) segmenter.Segment(f, new SegmentationPrompt([Seed], [Negative]), 0.2f, result);
            masks[t] = result.Mask.ToArray();
        });

        foreach (byte[] mask in masks) Assert.True(expected.AsSpan().SequenceEqual(mask));
    }

    [Theory]
    [InlineData(-1, 0)]
    [InlineData(0, -1)]
    [InlineData(0, SegmentationOptions.MaxSmoothRadius + 1)]
    public void Segmenter_CleanUpOptionsOutOfRange_Throws(int fillHoles, int smooth)
    {
        SegmentationOptions options = TestOptions.Plain with { FillHolesArea = fillHoles, SmoothRadius = smooth };

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SimilaritySegmenter(options));

        Assert.Equal(fillHoles < 0 ? nameof(SegmentationOptions.FillHolesArea) : nameof(SegmentationOptions.SmoothRadius), error.ParamName);
    }

    private static byte[] Parse(string[] rows) => [.. rows.SelectMany(r => r.Select(c => c == '#' ? (byte)255 : (byte)0))];
}
