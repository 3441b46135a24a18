using System.Numerics.Tensors;

namespace DinoSeg.Tests.Segmentation;

/// <summary>Box prompts: the prototype from the box interior, the selection limited to the box plus its margin.</summary>
public sealed class BoxPromptTests
{
    [Fact]
    public void Segment_BoxOverTheLeftHalf_SelectsItUpToTheMarginOnly()
    {
        // Arrange: margin 0.1 of a 40 x 64 box is 4 columns and 7 rows (clipped to the image).
        PatchFeatures f = SimilaritySegmenterTests.TwoHalves();
        var segmenter = new SimilaritySegmenter(TestOptions.Plain with { SimilaritySigma = 0 });

        // Act
        SegmentationResult r = segmenter.Segment(f, new SegmentationPrompt(new PixelRect(0, 0, 40, 64)), -1f);

        // Assert
        Assert.Equal(new PixelRect(0, 0, 40, 64), r.Box);
        Assert.Equal(new PixelRect(0, 0, 44, 64), r.BoxLimit);
        for (int y = 0; y < 64; y++)
        {
            for (int x = 0; x < 96; x++)
            {
                Assert.Equal(x < 44 ? 255 : 0, r.Mask[y * 96 + x]);
                if (x >= 44) Assert.Equal(SegmentationResult.Excluded, r.Similarity[y * 96 + x]);
            }
        }

        Assert.Equal(44 * 64, r.SelectedPixels);
        Assert.Empty(r.Seeds);
    }

    [Fact]
    public void Segment_Box_PrototypeIsTheNormalisedMeanOfThePatchesWhoseCentresLieInside()
    {
        // Arrange: random features on a 150 x 110 image over a 9 x 7 grid (patch centres every 150/9 ≈ 16.7 px).
        const int rows = 7, cols = 9, dim = 12;
        PatchFeatures f = SimilaritySegmenterTests.RandomFeatures(5, rows, cols, dim, 150, 110);
        var box = new PixelRect(20, 30, 70, 60);
        var mean = new float[dim];
        int inside = 0;
        for (int row = 0; row < rows; row++)
        {
            for (int col = 0; col < cols; col++)
            {
                double cx = (col + 0.5) * 150 / cols, cy = (row + 0.5) * 110 / rows;
                if (cx < 20 || cx >= 70 || cy < 30 || cy >= 60) continue;
                TensorPrimitives.Add(mean, f.GetPatch(row, col), mean);
                inside++;
            }
        }

        TensorPrimitives.Divide(mean, TensorPrimitives.Norm(mean), mean);

        // Act
        SegmentationResult r = new SimilaritySegmenter(TestOptions.Plain).Segment(f, new SegmentationPrompt(box), 0.3f);

        // Assert
        Assert.Equal(6, inside); // columns 1-3 (centres 25, 42, 58) by rows 2-3 (centres 39, 55)
        for (int p = 0; p < f.PatchCount; p++)
        {
            Assert.Equal(TensorPrimitives.Dot(f.GetPatch(p / cols, p % cols), mean), r.PatchSimilarity[p], 5);
        }
    }

    [Fact]
    public void Segment_BoxSmallerThanAPatch_UsesThePatchUnderItsCentre()
    {
        PatchFeatures f = SimilaritySegmenterTests.TwoHalves();
        var segmenter = new SimilaritySegmenter(TestOptions.Plain);

        SegmentationResult box = segmenter.Segment(f, new SegmentationPrompt(new PixelRect(66, 18, 70, 22)), 0.5f);
        SegmentationResult seed = segmenter.Segment(f, new PixelPoint(67, 19), 0.5f);

        for (int p = 0; p < f.PatchCount; p++) Assert.Equal(seed.PatchSimilarity[p], box.PatchSimilarity[p], 5); // renormalised: rounding only
    }

    [Theory]
    [InlineData(SeedCombine.Max)]
    [InlineData(SeedCombine.Mean)]
    public void Segment_BoxAndSeed_CombineLikeTwoSeeds(SeedCombine combine)
    {
        // A one-patch box is that patch's vector, so box + seed must equal two seeds.
        PatchFeatures f = SimilaritySegmenterTests.TwoHalves();
        var segmenter = new SimilaritySegmenter(TestOptions.Plain with { SeedCombine = combine, BoxMargin = 10 });

        SegmentationResult both = segmenter.Segment(f, new SegmentationPrompt(new PixelRect(0, 0, 16, 16), [new PixelPoint(90, 60)]), 0.5f);
        SegmentationResult seeds = segmenter.Segment(f, new SegmentationPrompt([new PixelPoint(90, 60), new PixelPoint(5, 5)]), 0.5f);

        for (int p = 0; p < f.PatchCount; p++) Assert.Equal(seeds.PatchSimilarity[p], both.PatchSimilarity[p], 5);
        Assert.Equal(new PixelRect(0, 0, 96, 64), both.BoxLimit);
        Assert.Equal(seeds.Mask.ToArray(), both.Mask.ToArray());
    }

    [Fact]
    public void Segment_BoxWithNegativeAndRegionOptions_KeepsOnlyWhatTouchesTheBox_AndRethresholdAgrees()
    {
        PatchFeatures f = SimilaritySegmenterTests.TwoHalves();
        var segmenter = new SimilaritySegmenter(TestOptions.Plain with { BoxMargin = 0, KeepSeedRegionsOnly = true });
        var box = new PixelRect(0, 0, 48, 32);

        SegmentationResult r = segmenter.Segment(f, new SegmentationPrompt(box, [], [new PixelPoint(80, 40)]), -1f);
        segmenter.Rethreshold(r, 0.2f);

        Assert.Equal(box, r.BoxLimit);
        Assert.Equal(segmenter.Segment(f, new SegmentationPrompt(box, [], [new PixelPoint(80, 40)]), 0.2f).Mask.ToArray(), r.Mask.ToArray());
        Assert.True(r.SelectedPixels > 0);
        for (int i = 0; i < r.Mask.Length; i++)
        {
            if (r.Mask[i] != 0) Assert.True(box.Contains(new PixelPoint(i % 96, i / 96)));
        }
    }

    [Fact]
    public void Segment_WithBoxIntoReusedResult_AllocatesNothing()
    {
        PatchFeatures f = SimilaritySegmenterTests.TwoHalves();
        var segmenter = new SimilaritySegmenter(TestOptions.Plain with { MinRegionArea = 10 });
        var result = new SegmentationResult(f);
        PixelPoint[] positives = [new(10, 10)], negatives = [new(90, 60)];
        segmenter.Segment(f, new SegmentationPrompt(new PixelRect(0, 0, 50, 40), positives, negatives), 0.5f, result);

        long allocated = SimilaritySegmenterTests.AllocatedBy(() =>
        {
            segmenter.Segment(f, new SegmentationPrompt(new PixelRect(5, 5, 60, 50), positives, negatives), 0.4f, result);
            segmenter.Segment(f, new SegmentationPrompt(new PixelRect(0, 0, 30, 30), [], negatives), 0.2f, result);
            segmenter.Rethreshold(result, 0.7f);
        });

        Assert.Equal(0, allocated);
    }

    [Theory]
    [InlineData(-1, 0, 10, 10)]
    [InlineData(0, 0, 97, 10)]
    [InlineData(0, 0, 10, 65)]
    [InlineData(10, 0, 10, 10)]
    [InlineData(20, 0, 10, 10)]
    [InlineData(0, 30, 10, 20)]
    public void Segment_BoxOutsideOrEmpty_ThrowsNamingTheBox(int x0, int y0, int x1, int y1)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new SimilaritySegmenter(TestOptions.Plain).Segment(SimilaritySegmenterTests.TwoHalves(), new SegmentationPrompt(new PixelRect(x0, y0, x1, y1)), 0.5f));

        Assert.Equal("prompt.Box", e.ParamName);
    }

    [Fact]
    public void Segment_NoSeedAndNoBox_Throws()
    {
        Assert.Throws<ArgumentException>(() => new SimilaritySegmenter(TestOptions.Plain).Segment(SimilaritySegmenterTests.TwoHalves(), new SegmentationPrompt([]), 0.5f));
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    [InlineData(11)]
    public void Options_BadBoxMargin_Throws(double margin)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new SimilaritySegmenter(TestOptions.Plain with { BoxMargin = margin }));

        Assert.Equal("BoxMargin", e.ParamName);
    }

    [Fact]
    public void PixelRect_Geometry()
    {
        var r = new PixelRect(10, 20, 30, 60);

        Assert.Equal((20, 40), (r.Width, r.Height));
        Assert.Equal(new PixelPoint(19, 39), r.Centre);
        Assert.True(r.Contains(new PixelPoint(10, 20)));
        Assert.False(r.Contains(new PixelPoint(30, 20)));
        Assert.Equal(new PixelRect(0, 15, 35, 60), r.Inflate(12, 5, 35, 60));
        Assert.True(r.FitsIn(30, 60));
        Assert.False(r.FitsIn(29, 60));
        Assert.Equal("10,20,30,60", r.ToString());
    }
}
