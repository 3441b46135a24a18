namespace DinoSeg.Tests.Segmentation;

/// <summary>Negative seeds: a pixel is selected only where it is closer to the positives than to the negatives, and reaches the threshold.</summary>
public sealed class NegativeSeedTests
{
    [Fact]
    public void Segment_NegativeInRightHalf_KeepsOnlyTheLeftHalf_EvenAtThresholdMinusOne()
    {
        // Arrange
        PatchFeatures f = SimilaritySegmenterTests.TwoHalves();
        var segmenter = new SimilaritySegmenter(TestOptions.Plain with { SimilaritySigma = 0 });

        // Act
        SegmentationResult without = segmenter.Segment(f, new SegmentationPrompt([new PixelPoint(10, 10)]), -1f);
        SegmentationResult with = segmenter.Segment(f, new SegmentationPrompt([new PixelPoint(10, 10)], [new PixelPoint(80, 40)]), -1f);

        // Assert
        Assert.Equal(96 * 64, without.SelectedPixels);
        for (int y = 0; y < 64; y++)
        {
            for (int x = 0; x < 96; x++)
            {
                if (x < 44) Assert.Equal(255, with.Mask[y * 96 + x]);
                if (x >= 52) Assert.Equal(0, with.Mask[y * 96 + x]);
            }
        }

        Assert.Equal(with.SelectedPixels, with.Mask.ToArray().Count(b => b == 255));
        Assert.Equal([new PixelPoint(80, 40)], with.NegativeSeeds);
        Assert.Equal([new PixelPoint(10, 10)], with.Seeds);
    }

    [Theory]
    [InlineData(0, 0.2f, 1)]
    [InlineData(4, 0.1f, 2)]
    [InlineData(7.5, -0.2f, 3)]
    public void Segment_RandomFeatures_MaskIsThresholdAndCloserToPositivesThanNegatives(double sigma, float threshold, int seed)
    {
        // Arrange: the reference takes the two smoothed maps from separate positive-only segmentations.
        const int width = 150, height = 110;
        PatchFeatures f = SimilaritySegmenterTests.RandomFeatures(seed, 7, 9, 12, width, height);
        var random = new Random(seed);
        PixelPoint[] positives = [new(random.Next(width), random.Next(height)), new(random.Next(width), random.Next(height))];
        PixelPoint[] negatives = [new(random.Next(width), random.Next(height)), new(random.Next(width), random.Next(height))];
        var segmenter = new SimilaritySegmenter(TestOptions.Plain with { SimilaritySigma = sigma });

        // Act
        SegmentationResult r = segmenter.Segment(f, new SegmentationPrompt(positives, negatives), threshold);
        SegmentationResult plus = segmenter.Segment(f, new SegmentationPrompt(positives), threshold);
        SegmentationResult minus = segmenter.Segment(f, new SegmentationPrompt(negatives), threshold);

        // Assert
        int checkedPixels = 0, excluded = 0;
        for (int i = 0; i < width * height; i++)
        {
            float p = plus.Similarity[i], n = minus.Similarity[i];
            if (MathF.Abs(p - n) < 1e-5f) continue; // a tie within float rounding may fall either way
            bool closer = p > n;
            Assert.Equal(closer && p >= threshold ? 255 : 0, r.Mask[i]);
            Assert.Equal(closer ? p : SegmentationResult.Excluded, r.Similarity[i], 5);
            checkedPixels++;
            excluded += closer ? 0 : 1;
        }

        Assert.True(checkedPixels > width * height * 0.99);
        Assert.InRange(excluded, 1, width * height - 1); // both sides of the rule were exercised
        for (int p = 0; p < f.PatchCount; p++) Assert.Equal(minus.PatchSimilarity[p], r.NegativePatchSimilarity[p], 5);
    }

    [Fact]
    public void Rethreshold_WithNegatives_KeepsThemOut_AndMatchesAFreshSegment()
    {
        PatchFeatures f = SimilaritySegmenterTests.TwoHalves();
        var segmenter = new SimilaritySegmenter(TestOptions.Plain);
        PixelPoint[] positives = [new(10, 10)], negatives = [new(80, 40)];
        SegmentationResult r = segmenter.Segment(f, new SegmentationPrompt(positives, negatives), 0.9f);

        foreach (float t in new[] { -1f, -0.3f, 0.2f, 0.6f })
        {
            segmenter.Rethreshold(r, t);

            Assert.Equal(segmenter.Segment(f, new SegmentationPrompt(positives, negatives), t).Mask.ToArray(), r.Mask.ToArray());
            Assert.Equal(0, r.Mask[40 * 96 + 80]);
        }
    }

    [Fact]
    public void Segment_NegativeOnThePositivesPatch_SelectsNothing()
    {
        // Equal similarity everywhere: no pixel is strictly closer to the positives.
        SegmentationResult r = new SimilaritySegmenter(TestOptions.Plain).Segment(SimilaritySegmenterTests.TwoHalves(), new SegmentationPrompt([new PixelPoint(10, 10)], [new PixelPoint(12, 12)]), -1f);

        Assert.Equal(0, r.SelectedPixels);
        Assert.All(r.Similarity.ToArray(), v => Assert.Equal(SegmentationResult.Excluded, v));
    }

    [Fact]
    public void Segment_NoNegatives_EqualsThePositiveOnlyOverload_AndReportsNone()
    {
        PatchFeatures f = SimilaritySegmenterTests.TwoHalves();
        var segmenter = new SimilaritySegmenter(TestOptions.Plain);
        SegmentationResult r = new(f);
        segmenter.Segment(f, new SegmentationPrompt([new PixelPoint(10, 10)], [new PixelPoint(80, 40)]), 0.3f, r);

        segmenter.Segment(f, new SegmentationPrompt([new PixelPoint(10, 10), new PixelPoint(90, 60)]), 0.3f, r);

        Assert.Empty(r.NegativeSeeds);
        Assert.True(r.NegativePatchSimilarity.IsEmpty);
        SegmentationResult plain = segmenter.Segment(f, new SegmentationPrompt([new PixelPoint(10, 10), new PixelPoint(90, 60)]), 0.3f);
        Assert.Equal(plain.Similarity.ToArray(), r.Similarity.ToArray());
        Assert.Equal(plain.Mask.ToArray(), r.Mask.ToArray());
    }

    [Fact]
    public void Segment_WithNegativesIntoReusedResult_AllocatesNothing()
    {
        PatchFeatures f = SimilaritySegmenterTests.TwoHalves();
        var segmenter = new SimilaritySegmenter(TestOptions.Plain with { SeedCombine = SeedCombine.Mean });
        var result = new SegmentationResult(f);
        PixelPoint[] positives = [new(10, 10), new(30, 50)];
        PixelPoint[] negatives = [new(90, 60), new(70, 5)];
        segmenter.Segment(f, new SegmentationPrompt(positives, negatives), 0.5f, result); // builds the cached weights and buffers

        long allocated = SimilaritySegmenterTests.AllocatedBy(() =>
        {
            segmenter.Segment(f, new SegmentationPrompt(positives, negatives), 0.4f, result);
            segmenter.Segment(f, new SegmentationPrompt(negatives, positives), 0.1f, result);
            segmenter.Rethreshold(result, 0.7f);
        });

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Segment_BadNegatives_Throw()
    {
        PatchFeatures f = SimilaritySegmenterTests.TwoHalves();
        var segmenter = new SimilaritySegmenter(TestOptions.Plain);

        Assert.Throws<ArgumentOutOfRangeException>(() => segmenter.Segment(f, new SegmentationPrompt([new PixelPoint(1, 1)], [new PixelPoint(0, 64)]), 0.5f));
        var e = Assert.Throws<ArgumentException>(() => segmenter.Segment(f, new SegmentationPrompt([], [new PixelPoint(1, 1)]), 0.5f));
        Assert.Equal("prompt", e.ParamName);
    }
}
