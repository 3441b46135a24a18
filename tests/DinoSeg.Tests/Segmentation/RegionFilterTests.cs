using DinoSeg.Tests.Masks;

namespace DinoSeg.Tests.Segmentation;

/// <summary>The run-based labelling against a plain breadth-first flood fill on random masks, and the options end to end.</summary>
public sealed class RegionFilterTests
{
    /// <summary>Plain breadth-first 8-connected labels of the selected pixels (-1 off) and each region's area.</summary>
    private static (int[] Labels, List<int> Areas) FloodLabels(byte[] mask, int width, int height)
    {
        int[] labels = MaskTestData.Components(mask, width, height, on: true, eight: true, out List<int> areas, out _);
        return (labels, areas);
    }

    /// <summary>The reference: 8-connected BFS labelling, then the same keep rule, pixel by pixel.</summary>
    private static byte[] Reference(byte[] mask, int width, int height, PixelPoint[] seeds, PixelRect? box, bool seedRegionsOnly, int minArea)
    {
        var (label, areas) = FloodLabels(mask, width, height);
        var keep = new HashSet<int>(seeds.Select(s => label[s.Y * width + s.X]).Where(l => l >= 0));
        for (int i = 0; i < mask.Length; i++)
        {
            if (label[i] >= 0 && box is PixelRect b && b.Contains(new PixelPoint(i % width, i / width))) keep.Add(label[i]);
        }

        var result = new byte[mask.Length];
        for (int i = 0; i < mask.Length; i++)
        {
            int l = label[i];
            bool kept = l >= 0 && (keep.Contains(l) || (!seedRegionsOnly && areas[l] >= minArea));
            result[i] = kept ? mask[i] : (byte)0;
        }

        return result;
    }

    /// <summary>Random blobs: noise at a density, optionally dilated once so that regions of many shapes and sizes appear.</summary>
    private static byte[] RandomMask(Random random, int width, int height, double density, bool blobs)
    {
        var noise = new byte[width * height];
        for (int i = 0; i < noise.Length; i++) noise[i] = random.NextDouble() < density ? (byte)255 : (byte)0;
        if (!blobs) return noise;
        var mask = new byte[noise.Length];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                bool on = noise[y * width + x] != 0
                    || (x > 0 && noise[y * width + x - 1] != 0)
                    || (y > 0 && noise[(y - 1) * width + x] != 0 && random.Next(2) == 0);
                mask[y * width + x] = on ? (byte)255 : (byte)0;
            }
        }

        return mask;
    }

    private static PixelRect RandomBox(Random random, int width, int height)
    {
        int x0 = random.Next(width), y0 = random.Next(height);
        return new PixelRect(x0, y0, random.Next(x0 + 1, width + 1), random.Next(y0 + 1, height + 1));
    }

    public static TheoryData<int, int, double, bool> Masks => new()
    {
        { 1, 1, 0.5, false },
        { 1, 37, 0.5, false },
        { 41, 1, 0.5, false },
        { 7, 5, 0.5, false },
        { 64, 48, 0.5, false },
        { 64, 48, 0.1, true },
        { 97, 61, 0.05, true },
        { 130, 70, 0.2, true },
        { 200, 150, 0.02, true },
    };

    [Theory]
    [MemberData(nameof(Masks))]
    public void Apply_RandomMasks_MatchesTheFloodFillReference(int width, int height, double density, bool blobs)
    {
        var random = new Random(width * 1000 + height);
        var filter = new RegionFilter();
        for (int trial = 0; trial < 12; trial++)
        {
            // Arrange
            byte[] mask = RandomMask(random, width, height, density, blobs);
            PixelPoint[] seeds = Enumerable.Range(0, trial % 4).Select(_ => new PixelPoint(random.Next(width), random.Next(height))).ToArray();
            bool seedRegionsOnly = trial % 3 == 0;
            int minArea = trial % 2 == 0 ? 0 : random.Next(1, 30);
            PixelRect? box = trial % 5 == 4 ? RandomBox(random, width, height) : null;
            byte[] expected = Reference(mask, width, height, seeds, box, seedRegionsOnly, minArea);
            int before = mask.Count(b => b != 0);

            // Act
            int cleared = filter.Apply(mask, width, height, [.. seeds], box, seedRegionsOnly, minArea);

            // Assert
            int mismatch = expected.AsSpan().CommonPrefixLength(mask);
            Assert.True(mismatch == mask.Length,
                $"{width}x{height} trial {trial} (seed regions only {seedRegionsOnly}, min area {minArea}, box {box}): pixel ({mismatch % width},{mismatch / width}) differs.");
            Assert.Equal(before - mask.Count(b => b != 0), cleared);
        }
    }

    [Theory]
    [InlineData(7, 5, 0.5, false)]
    [InlineData(64, 48, 0.5, false)]
    [InlineData(64, 48, 0.1, true)]
    [InlineData(97, 61, 0.05, true)]
    [InlineData(200, 150, 0.02, true)]
    public void KeepRegionsReaching_RandomMasks_KeepsExactlyTheRegionsWithAPixelAtTheThresholdOrASeed(int width, int height, double density, bool blobs)
    {
        var random = new Random(width * 7 + height);
        var filter = new RegionFilter();
        int dropped = 0, kept = 0;
        for (int trial = 0; trial < 12; trial++)
        {
            byte[] mask = RandomMask(random, width, height, density, blobs);
            float[] map = Enumerable.Range(0, mask.Length).Select(_ => (float)random.NextDouble()).ToArray();
            float threshold = 0.97f + 0.01f * (trial % 3);
            PixelPoint[] seeds = Enumerable.Range(0, trial % 3).Select(_ => new PixelPoint(random.Next(width), random.Next(height))).ToArray();
            var (label, areas) = FloodLabels(mask, width, height);
            var reached = new HashSet<int>(seeds.Select(p => label[p.Y * width + p.X]).Where(l => l >= 0));
            for (int i = 0; i < mask.Length; i++)
            {
                if (label[i] >= 0 && map[i] >= threshold) reached.Add(label[i]);
            }

            byte[] expected = [.. mask.Select((v, i) => label[i] >= 0 && reached.Contains(label[i]) ? v : (byte)0)];
            int before = mask.Count(b => b != 0);

            int cleared = filter.KeepRegionsReaching(mask, width, height, map, threshold, [.. seeds]);

            Assert.Equal(expected, mask);
            Assert.Equal(before - mask.Count(b => b != 0), cleared);
            dropped += areas.Count - reached.Count;
            kept += reached.Count;
        }

        Assert.True(dropped > 0 && kept > 0, $"{dropped} regions dropped, {kept} kept: the trials must exercise both");
    }

    [Fact]
    public void KeepRegionsReaching_DropsOnlyTheRegionTheMapNeverReached()
    {
        byte[] mask =
        [
            255, 255, 0, 0, 0, 255,
            255, 255, 0, 0, 0, 255,
            0, 0, 0, 255, 0, 0,
        ];
        float[] map = new float[mask.Length];
        map[0] = 0.5f; // the top-left region reaches the threshold; the right one holds a seed; the middle one neither

        int cleared = new RegionFilter().KeepRegionsReaching(mask, 6, 3, map, 0.5f, [new PixelPoint(5, 1)]);

        Assert.Equal(1, cleared);
        Assert.Equal(0, mask[2 * 6 + 3]);
        Assert.Equal(6, mask.Count(b => b != 0));
    }

    [Fact]
    public void Apply_DiagonalTouch_IsOneRegion()
    {
        // A staircase of single pixels touching only at corners: 8-connected, so one region of 4 pixels.
        byte[] mask = new byte[4 * 4];
        for (int i = 0; i < 4; i++) mask[i * 4 + i] = 255;

        int cleared = new RegionFilter().Apply(mask, 4, 4, [new PixelPoint(0, 0)], box: null, seedRegionsOnly: true, minArea: 0);

        Assert.Equal(0, cleared);
        Assert.Equal(4, mask.Count(b => b == 255));
    }

    [Fact]
    public void Apply_Comb_IsOneRegionWhoseTeethMeetInTheLastRow()
    {
        // Four teeth labelled apart for three rows, joined by the last: the seed at the top of the last tooth keeps them all.
        string[] rows =
        [
            "#.#.#.#",
            "#.#.#.#",
            "#.#.#.#",
            "#######",
        ];
        byte[] mask = rows.SelectMany(r => r.Select(c => c == '#' ? (byte)255 : (byte)0)).ToArray();

        int cleared = new RegionFilter().Apply(mask, 7, 4, [new PixelPoint(6, 0)], box: null, seedRegionsOnly: true, minArea: 0);

        Assert.Equal(0, cleared);
    }

    [Fact]
    public void Segment_KeepSeedRegionsOnly_DropsTheDetachedLookalike()
    {
        // Arrange: the left half and an island patch (1,4) in the right half share a vector; the island is detached.
        PatchFeatures f = Island();
        var plain = new SimilaritySegmenter(TestOptions.Unrefined with { SimilaritySigma = 0 });
        var kept = new SimilaritySegmenter(TestOptions.Unrefined with { SimilaritySigma = 0, KeepSeedRegionsOnly = true });

        // Act
        SegmentationResult a = plain.Segment(f, new PixelPoint(10, 10), 0.9f);
        SegmentationResult b = kept.Segment(f, new PixelPoint(10, 10), 0.9f);

        // Assert
        Assert.Equal(255, a.Mask[24 * 96 + 72]);
        Assert.Equal(0, b.Mask[24 * 96 + 72]);
        Assert.Equal(255, b.Mask[30 * 96 + 20]);
        Assert.Equal(b.SelectedPixels, b.Mask.ToArray().Count(v => v == 255));
        Assert.True(b.SelectedPixels < a.SelectedPixels);
        Assert.Equal(b.Mask.ToArray().Select(v => v / 255f), b.GetSoftMask().ToArray().Select(v => MathF.Round(v)));
    }

    [Fact]
    public void Segment_MinRegionArea_RemovesTheIslandButNeverTheSeedRegion()
    {
        PatchFeatures f = Island();
        var segmenter = new SimilaritySegmenter(TestOptions.Unrefined with { SimilaritySigma = 0, MinRegionArea = 1000 });

        SegmentationResult fromLeft = segmenter.Segment(f, new PixelPoint(10, 10), 0.9f);
        SegmentationResult fromIsland = segmenter.Segment(f, new PixelPoint(72, 24), 0.9f);

        Assert.Equal(0, fromLeft.Mask[24 * 96 + 72]); // the island is smaller than 1000 px and holds no seed
        Assert.Equal(255, fromIsland.Mask[24 * 96 + 72]); // holding the seed keeps it
        Assert.Equal(fromLeft.SelectedPixels, fromLeft.Mask.ToArray().Count(v => v == 255));
    }

    [Fact]
    public void Rethreshold_AppliesTheRegionOptions_AndMatchesAFreshSegment()
    {
        PatchFeatures f = Island();
        var segmenter = new SimilaritySegmenter(TestOptions.Unrefined with { KeepSeedRegionsOnly = true, MinRegionArea = 50 });
        SegmentationResult r = segmenter.Segment(f, new PixelPoint(10, 10), -1f);

        foreach (float t in new[] { 0.95f, 0.5f, 0.8f, -0.2f })
        {
            segmenter.Rethreshold(r, t);

            SegmentationResult fresh = segmenter.Segment(f, new PixelPoint(10, 10), t);
            Assert.Equal(fresh.Mask.ToArray(), r.Mask.ToArray());
            Assert.Equal(fresh.SelectedPixels, r.SelectedPixels);
            Assert.Equal(r.SelectedPixels, r.Mask.ToArray().Count(v => v == 255));
        }
    }

    [Fact]
    public void Segment_WithRegionOptionsIntoReusedResult_AllocatesNothing()
    {
        PatchFeatures f = Island();
        var segmenter = new SimilaritySegmenter(TestOptions.Unrefined with { KeepSeedRegionsOnly = true, MinRegionArea = 20 });
        var result = new SegmentationResult(f);
        PixelPoint[] seeds = [new(10, 10)], other = [new(72, 24), new(90, 60)];
        segmenter.Segment(f, new SegmentationPrompt(seeds, other), 0.2f, result);
        segmenter.Segment(f, new SegmentationPrompt(other, seeds), 0.2f, result);

        long allocated = SimilaritySegmenterTests.AllocatedBy(() =>
        {
            segmenter.Segment(f, new SegmentationPrompt(seeds, other), 0.5f, result);
            segmenter.Segment(f, new SegmentationPrompt(other, seeds), 0.3f, result);
            segmenter.Rethreshold(result, 0.1f);
        });

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Options_NegativeMinRegionArea_Throws()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new SimilaritySegmenter(SegmentationOptions.Default with { MinRegionArea = -1 }));

        Assert.Equal("MinRegionArea", e.ParamName);
    }

    /// <summary>4 x 6 patches over 96 x 64: left half vector A, right half vector B, except patch (1,4) which is A again.</summary>
    private static PatchFeatures Island()
    {
        const int rows = 4, cols = 6, dim = 4;
        var raw = new float[rows * cols * dim];
        for (int p = 0; p < rows * cols; p++)
        {
            int col = p % cols;
            bool a = col < 3 || p == 1 * cols + 4;
            raw[p * dim + (a ? 0 : 1)] = 1;
            raw[p * dim + 2] = 0.05f * (p % 3);
        }

        return PatchFeatures.FromVectors(raw, rows, cols, dim, 16, 96, 64, 96, 64, "test");
    }
}
