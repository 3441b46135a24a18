namespace DinoSeg.Tests.Segmentation;

public sealed class AutoThresholdTests
{
    /// <summary>Scalar reference: tries every bin edge and keeps the one with the largest between-class variance.</summary>
    private static float OtsuReference(float[] values)
    {
        var inRange = values.Where(v => v >= -1 && v <= 1).ToArray();
        int Bin(float v) => Math.Min(255, (int)((v + 1f) * 128));
        double Centre(int b) => (b + 0.5) / 128 - 1;
        double best = -1;
        int bestEdge = -1;
        for (int edge = 1; edge < 256; edge++)
        {
            var low = inRange.Where(v => Bin(v) < edge).Select(v => Centre(Bin(v))).ToArray();
            var high = inRange.Where(v => Bin(v) >= edge).Select(v => Centre(Bin(v))).ToArray();
            if (low.Length == 0 || high.Length == 0) continue;
            double d = low.Average() - high.Average();
            double between = (double)low.Length * high.Length * d * d;
            if (between > best + 1e-9 * Math.Abs(best))
            {
                best = between;
                bestEdge = edge;
            }
        }

        return (float)(bestEdge / 128.0 - 1);
    }

    [Fact]
    public void Otsu_RandomBimodalSamples_MatchesTheReference()
    {
        var random = new Random(42);
        for (int trial = 0; trial < 20; trial++)
        {
            float a = (float)(random.NextDouble() - 0.8), b = (float)(random.NextDouble() * 0.8);
            var values = Enumerable.Range(0, 300)
                .Select(i => Math.Clamp((i % 3 == 0 ? b : a) + (float)(random.NextDouble() - 0.5) * 0.2f, -1f, 1f)).ToArray();

            Assert.Equal(OtsuReference(values), AutoThreshold.Otsu(values), 6);
        }
    }

    [Fact]
    public void Otsu_TwoClusters_SplitsBetweenThem()
    {
        float[] values = [.. Enumerable.Repeat(-0.5f, 50), .. Enumerable.Repeat(0.6f, 10)];

        float t = AutoThreshold.Otsu(values);

        Assert.True(t > -0.5f && t <= 0.6f, $"{t}"); // any edge between the clusters separates them
    }

    [Fact]
    public void Otsu_IgnoresExcludedValues_AndHandlesDegenerateInput()
    {
        float[] withExcluded = [.. Enumerable.Repeat(SegmentationResult.Excluded, 1000), .. Enumerable.Repeat(-0.5f, 50), .. Enumerable.Repeat(0.6f, 10)];
        Assert.Equal(AutoThreshold.Otsu([.. Enumerable.Repeat(-0.5f, 50), .. Enumerable.Repeat(0.6f, 10)]), AutoThreshold.Otsu(withExcluded));
        Assert.Equal(1f, AutoThreshold.Otsu([]));
        Assert.Equal(1f, AutoThreshold.Otsu([SegmentationResult.Excluded]));
        float single = AutoThreshold.Otsu([0.3f, 0.3f, 0.3f]);
        Assert.True(single <= 0.3f && single > 0.3f - 2f / 256); // selects exactly the one value
    }

    [Fact]
    public void Median_OddCount_IsTheMiddleValueToBinPrecision()
    {
        Assert.InRange(AutoThreshold.Median([-0.9f, 0.25f, 0.8f, 0.1f, 0.5f]), 0.25f - 1f / 128, 0.25f + 1f / 128);
    }

    [Theory]
    [InlineData(ThresholdRule.PatchOtsu)]
    [InlineData(ThresholdRule.Otsu)]
    [InlineData(ThresholdRule.SeedMedianMidpoint)]
    public void SegmentAuto_RecordsRuleAndThreshold_AndEqualsAFixedSegmentAtThatThreshold(ThresholdRule rule)
    {
        PatchFeatures f = SimilaritySegmenterTests.TwoHalves();
        var segmenter = new SimilaritySegmenter(TestOptions.Unrefined);
        var auto = new SegmentationResult(f);

        segmenter.SegmentAuto(f, new SegmentationPrompt([new PixelPoint(10, 10)]), rule, auto);
        SegmentationResult fixedResult = segmenter.Segment(f, new PixelPoint(10, 10), auto.Threshold);

        Assert.Equal(rule, auto.AutoRule);
        Assert.Equal(AutoThreshold.Compute(rule, auto), auto.Threshold);
        Assert.Equal(fixedResult.Mask.ToArray(), auto.Mask.ToArray());
        Assert.Equal(255, auto.Mask[30 * 96 + 20]); // the clicked half
        Assert.Equal(0, auto.Mask[30 * 96 + 80]);   // not the other
        Assert.Null(fixedResult.AutoRule);
    }

    [Theory]
    [InlineData(ThresholdRule.PatchOtsu)]
    [InlineData(ThresholdRule.RankedOtsu)]
    [InlineData(ThresholdRule.SeedMedianMidpoint)]
    public void ChooseThreshold_OnAFixedThresholdClick_IsWhatAnAutomaticClickChose(ThresholdRule rule)
    {
        PatchFeatures f = SimilaritySegmenterTests.TwoHalves();
        var segmenter = new SimilaritySegmenter(TestOptions.Unrefined with { ThresholdRule = rule });
        var auto = new SegmentationResult(f);
        segmenter.SegmentAuto(f, new SegmentationPrompt([new PixelPoint(10, 10)]), rule, auto);

        SegmentationResult byHand = segmenter.Segment(f, new PixelPoint(10, 10), 0.9f);

        Assert.Equal(auto.Threshold, segmenter.ChooseThreshold(byHand));
        Assert.Equal(auto.Threshold, new SimilaritySegmenter(TestOptions.Unrefined).ChooseThreshold(byHand, rule));
        Assert.Equal(0.9f, byHand.Threshold); // read, not applied
        Assert.Throws<ArgumentException>("result", () => segmenter.ChooseThreshold(new SegmentationResult(f)));
    }

    [Fact]
    public void SegmentAuto_ThenRethresholdOrFixedSegment_ClearsTheRule()
    {
        PatchFeatures f = SimilaritySegmenterTests.TwoHalves();
        var segmenter = new SimilaritySegmenter(TestOptions.Unrefined);
        var r = new SegmentationResult(f);

        segmenter.SegmentAuto(f, new SegmentationPrompt([new PixelPoint(10, 10)]), ThresholdRule.Otsu, r);
        segmenter.Rethreshold(r, 0.3f);
        Assert.Null(r.AutoRule);

        segmenter.SegmentAuto(f, new SegmentationPrompt([new PixelPoint(10, 10)]), ThresholdRule.Otsu, r);
        segmenter.Segment(f, new SegmentationPrompt([new PixelPoint(10, 10)]), 0.3f, r);
        Assert.Null(r.AutoRule);
    }

    [Fact]
    public void SegmentAuto_WithNegativesIntoReusedResult_AllocatesNothing()
    {
        PatchFeatures f = SimilaritySegmenterTests.TwoHalves();
        var segmenter = new SimilaritySegmenter(TestOptions.Unrefined);
        var result = new SegmentationResult(f);
        PixelPoint[] positives = [new(10, 10)];
        PixelPoint[] negatives = [new(90, 60)];
        segmenter.SegmentAuto(f, new SegmentationPrompt(positives, negatives), ThresholdRule.PatchOtsu, result);

        long before = GC.GetAllocatedBytesForCurrentThread();
        segmenter.SegmentAuto(f, new SegmentationPrompt(positives, negatives), ThresholdRule.PatchOtsu, result);
        segmenter.SegmentAuto(f, new SegmentationPrompt(positives, negatives), ThresholdRule.Otsu, result);
        segmenter.SegmentAuto(f, new SegmentationPrompt(positives, negatives), ThresholdRule.SeedMedianMidpoint, result);

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void SegmentAuto_UnknownRule_Throws()
    {
        PatchFeatures f = SimilaritySegmenterTests.TwoHalves();
        Assert.Throws<ArgumentOutOfRangeException>("rule",
            () => new SimilaritySegmenter(TestOptions.Unrefined).SegmentAuto(f, new SegmentationPrompt([new PixelPoint(1, 1)]), (ThresholdRule)42, new SegmentationResult(f)));
    }
}
