namespace DinoSeg.Tests.Segmentation;

/// <summary>Options passed to one click: the same answer as a segmenter built with them, kept by the slider, no allocation.</summary>
public sealed class PerClickOptionsTests
{
    private static readonly PixelPoint Seed = new(10, 10);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Click_WithOptions_EqualsASegmenterBuiltWithThem(bool ranked)
    {
        PatchFeatures f = SimilaritySegmenterTests.TwoHalves();
        SegmentationOptions basis = ranked ? TestOptions.Unrefined : TestOptions.Plain;
        SegmentationOptions other = basis with { SimilaritySigma = 9, FeatherSigma = 5, SeedCombine = SeedCombine.Mean, ThresholdRule = ThresholdRule.SeedMedianMidpoint };
        var shared = new SimilaritySegmenter(basis);
        var dedicated = new SimilaritySegmenter(other);
        PixelPoint[] seeds = [Seed, new(90, 60)];

        SegmentationResult expected = dedicated.Segment(f, new SegmentationPrompt(seeds, [new PixelPoint(80, 10)]), 0.3f);
        SegmentationResult actual = shared.Segment(f, new SegmentationPrompt(seeds, [new PixelPoint(80, 10)]), 0.3f, options: other);
        SegmentationResult expectedAuto = dedicated.SegmentAuto(f, new SegmentationPrompt(seeds));
        SegmentationResult actualAuto = shared.SegmentAuto(f, new SegmentationPrompt(seeds), options: other);

        Assert.Equal(expected.Similarity.ToArray(), actual.Similarity.ToArray());
        Assert.Equal(expected.Mask.ToArray(), actual.Mask.ToArray());
        Assert.Equal(expected.GetSoftMask().ToArray(), actual.GetSoftMask().ToArray());
        Assert.Equal(ThresholdRule.SeedMedianMidpoint, actualAuto.AutoRule); // the passed options' rule, not the segmenter's
        Assert.Equal(expectedAuto.Threshold, actualAuto.Threshold);
        Assert.Equal(expectedAuto.Mask.ToArray(), actualAuto.Mask.ToArray());
        Assert.Same(other, actual.Options);
        Assert.Same(basis, shared.Segment(f, Seed, 0.3f).Options);
        Assert.NotEqual(shared.Segment(f, new SegmentationPrompt(seeds, [new PixelPoint(80, 10)]), 0.3f).Similarity.ToArray(), actual.Similarity.ToArray());
    }

    [Fact]
    public void Rethreshold_AfterAClickWithOptions_FinishesWithTheClicksOptions()
    {
        PatchFeatures f = SimilaritySegmenterTests.TwoHalves();
        SegmentationOptions other = TestOptions.Plain with { FeatherSigma = 7, SmoothRadius = 3 };
        var shared = new SimilaritySegmenter(TestOptions.Plain);
        var dedicated = new SimilaritySegmenter(other);

        SegmentationResult r = shared.Segment(f, new SegmentationPrompt(Seed), 0.5f, options: other);
        shared.Rethreshold(r, 0.2f);
        SegmentationResult expected = dedicated.Segment(f, new SegmentationPrompt(Seed), 0.5f);
        dedicated.Rethreshold(expected, 0.2f);
        SegmentationResult own = shared.Segment(f, new SegmentationPrompt(Seed), 0.5f);
        shared.Rethreshold(own, 0.2f);

        Assert.Equal(0.2f, r.Threshold);
        Assert.Equal(expected.Mask.ToArray(), r.Mask.ToArray());
        Assert.Equal(expected.GetSoftMask().ToArray(), r.GetSoftMask().ToArray());
        Assert.NotEqual(own.GetSoftMask().ToArray(), r.GetSoftMask().ToArray()); // the segmenter's own options feather otherwise
        Assert.Same(other, r.Options);
    }

    [Fact]
    public void Click_WithBadOptions_ThrowsBeforeAnyWork()
    {
        PatchFeatures f = SimilaritySegmenterTests.TwoHalves();
        var shared = new SimilaritySegmenter(TestOptions.Plain);
        var result = new SegmentationResult(f);

        Assert.Throws<ArgumentOutOfRangeException>("FeatherSigma",
            () => shared.Segment(f, new SegmentationPrompt(Seed), 0.5f, result, TestOptions.Plain with { FeatherSigma = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>("MinRegionArea",
            () => shared.SegmentAuto(f, new SegmentationPrompt(Seed), into: result, options: TestOptions.Plain with { MinRegionArea = -1 }));
        Assert.Null(result.Options); // nothing ran
        Assert.Empty(result.Seeds);
    }

    [Fact]
    public void Click_WithRefiningOptions_NeedsTheGuideLikeARefiningSegmenter()
    {
        PatchFeatures f = SimilaritySegmenterTests.TwoHalves(); // no guide
        var shared = new SimilaritySegmenter(TestOptions.Plain);

        Assert.Throws<ArgumentException>("into",
            () => shared.Segment(f, new SegmentationPrompt(Seed), 0.5f, options: TestOptions.Plain with { Refinement = Refinement.GuidedFilter }));
    }

    [Fact]
    public void Click_WithOptionsEqualToTheSegmentersOrPassedAgain_AllocatesNothing()
    {
        PatchFeatures f = SimilaritySegmenterTests.TwoHalves();
        var shared = new SimilaritySegmenter(TestOptions.Plain);
        var result = new SegmentationResult(f);
        SegmentationOptions equal = TestOptions.Plain with { }; // another instance, equal values
        SegmentationOptions regions = TestOptions.Plain with { KeepSeedRegionsOnly = true, MinRegionArea = 50 };
        void Clicks()
        {
            shared.Segment(f, new SegmentationPrompt(Seed), 0.5f, result, equal);
            shared.Segment(f, new SegmentationPrompt(Seed), 0.4f, result, regions);
            shared.SegmentAuto(f, new SegmentationPrompt(Seed), into: result, options: regions);
            shared.Rethreshold(result, 0.3f);
        }

        Clicks(); // warm: buffers made, the per-click options checked once
        Assert.Same(TestOptions.Plain, shared.Segment(f, new SegmentationPrompt(Seed), 0.5f, result, equal).Options);

        Assert.Equal(0, SimilaritySegmenterTests.AllocatedBy(Clicks));
    }
}
