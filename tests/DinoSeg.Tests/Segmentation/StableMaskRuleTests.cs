using DinoSeg.Evaluation;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Tests.Segmentation;

/// <summary><see cref="ThresholdRule.StableMask"/>: the ladder threshold whose finished mask changes least; <see cref="ThresholdRule.StableSingleSeed"/>, the default, which takes it for one seed alone.</summary>
public sealed class StableMaskRuleTests
{
    private const int Patches = 8, Size = 128;

    /// <summary>A graded object (patch columns fade from object to background, rows add noise) over a two-colour image.</summary>
    private static (PatchFeatures Features, RefinementGuide Guide) GradedScene()
    {
        float[] fade = [1f, 0.95f, 0.85f, 0.6f, 0.45f, 0.3f, 0.1f, 0f];
        var random = new Random(11);
        var raw = new float[Patches * Patches * 3];
        for (int p = 0; p < Patches * Patches; p++)
        {
            float objectness = Math.Clamp(fade[p % Patches] + (float)(random.NextDouble() - 0.5) * 0.2f, 0, 1);
            raw[3 * p] = objectness;
            raw[3 * p + 1] = 1 - objectness;
            raw[3 * p + 2] = (float)random.NextDouble() * 0.3f;
        }

        using var image = new Image<Rgb24>(Size, Size);
        for (int y = 0; y < Size; y++)
        {
            for (int x = 0; x < Size; x++)
            {
                int noise = random.Next(-25, 26);
                image[x, y] = x < 60 ? new Rgb24((byte)(190 + noise), 70, 60) : new Rgb24(50, (byte)(100 + noise), 180);
            }
        }

        return (PatchFeatures.FromVectors(raw, Patches, Patches, 3, 16, Size, Size, Size, Size, "test"), RefinementGuide.FromImage(image));
    }

    /// <summary>The rule written out directly: a fresh fixed-threshold click per ladder value, scored by its neighbours' IoU.</summary>
    private static float ReferenceThreshold(SimilaritySegmenter segmenter, PatchFeatures features, RefinementGuide guide, PixelPoint[] seeds)
    {
        var probe = new SegmentationResult(features) { Guide = guide };
        segmenter.Segment(features, new SegmentationPrompt(seeds), 0.5f, probe);
        float weakest = seeds.Min(s => probe.Similarity[s.Y * Size + s.X]);
        float[] ladder = [.. Enumerable.Range(0, 9).Select(i => Math.Min(0.2f + 0.4f * i / 8, weakest))];
        var masks = ladder.Select(t =>
        {
            var r = new SegmentationResult(features) { Guide = guide };
            segmenter.Segment(features, new SegmentationPrompt(seeds), t, r);
            return r.Mask.ToArray();
        }).ToArray();
        Assert.True(masks.Select(m => m.Count(v => v != 0)).Distinct().Count() > 2, "the scene must make the ladder matter");
        double[] step = [.. Enumerable.Range(0, 8).Select(i => MaskMetrics.IoU(masks[i], masks[i + 1]))];
        double[] score = [.. Enumerable.Range(0, 9).Select(i => i == 0 ? 2 * step[0] : i == 8 ? 2 * step[7] : step[i - 1] + step[i])];
        return ladder[Array.IndexOf(score, score.Max())]; // the first maximum: ties go to the lower threshold
    }

    [Theory]
    [InlineData(Refinement.None)]
    [InlineData(Refinement.GrabCut)]
    public void SegmentAuto_StableMask_PicksTheLadderValueWhoseMaskChangesLeast(Refinement refinement)
    {
        var (features, guide) = GradedScene();
        var segmenter = new SimilaritySegmenter(TestOptions.Unrefined with { Refinement = refinement, ComputeSoftMask = false });
        PixelPoint[] seeds = [new(12, 60)];
        float expected = ReferenceThreshold(segmenter, features, guide, seeds);
        var result = new SegmentationResult(features) { Guide = guide };

        segmenter.SegmentAuto(features, new SegmentationPrompt(seeds), ThresholdRule.StableMask, result);

        Assert.Equal(expected, result.Threshold, 5);
        Assert.Equal(ThresholdRule.StableMask, result.AutoRule);
        var atThreshold = new SegmentationResult(features) { Guide = guide };
        segmenter.Segment(features, new SegmentationPrompt(seeds), result.Threshold, atThreshold);
        Assert.Equal(atThreshold.Mask.ToArray(), result.Mask.ToArray());
        Assert.Equal(255, result.Mask[60 * Size + 12]);
    }

    [Fact]
    public void SegmentAuto_StableMaskWithAReusedResult_AllocatesNothing()
    {
        var (features, guide) = GradedScene();
        var segmenter = new SimilaritySegmenter(TestOptions.Unrefined with { Refinement = Refinement.GrabCut, ComputeSoftMask = false });
        var result = new SegmentationResult(features) { Guide = guide };
        PixelPoint[] positives = [new(12, 60)], negatives = [new(120, 60)];
        segmenter.SegmentAuto(features, new SegmentationPrompt(positives, negatives), ThresholdRule.StableMask, result);

        long before = GC.GetAllocatedBytesForCurrentThread();
        segmenter.SegmentAuto(features, new SegmentationPrompt(positives, negatives), ThresholdRule.StableMask, result);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    [Theory]
    [InlineData(Refinement.DenseCrf, true)]
    [InlineData(Refinement.GuidedFilter, true)]
    [InlineData(Refinement.None, false)]
    [InlineData(Refinement.GrabCut, false)]
    public void StableSingleSeed_TakesTheLadderForOneSeedWithTheCrfOrTheGuidedFilter(Refinement refinement, bool ladder)
    {
        var (features, guide) = GradedScene();
        var segmenter = new SimilaritySegmenter(TestOptions.Unrefined with { Refinement = refinement, ComputeSoftMask = false });
        var result = new SegmentationResult(features) { Guide = guide };

        segmenter.Segment(features, new SegmentationPrompt(new PixelPoint(12, 60)), 0.5f, result);
        Assert.Equal(ladder, AutoThreshold.UsesLadder(ThresholdRule.StableSingleSeed, result));
        segmenter.Segment(features, new SegmentationPrompt([new PixelPoint(12, 60)], [new PixelPoint(120, 60)]), 0.5f, result);
        Assert.False(AutoThreshold.UsesLadder(ThresholdRule.StableSingleSeed, result));
        Assert.True(AutoThreshold.UsesLadder(ThresholdRule.StableMask, result));
    }

    // The CRF snaps this two-colour scene to one mask at every ladder value, so the guided filter stands for the ladder's branch here.
    [Theory]
    [InlineData(Refinement.GuidedFilter)]
    [InlineData(Refinement.None)]
    [InlineData(Refinement.GrabCut)]
    public void StableSingleSeed_IsTheLadderForOneRefinedSeedAlone_AndRankedOtsuForOtherPromptsWithoutRefinementOrWithGrabCut(Refinement refinement)
    {
        var (features, guide) = GradedScene();
        var segmenter = new SimilaritySegmenter(TestOptions.Unrefined with { Refinement = refinement, ComputeSoftMask = false });
        var seed = new PixelPoint(12, 60);
        float ladder = ReferenceThreshold(segmenter, features, guide, [seed]);
        float rankedOtsu = segmenter.SegmentAuto(features, new SegmentationPrompt(seed), ThresholdRule.RankedOtsu, new SegmentationResult(features) { Guide = guide }).Threshold;
        Assert.NotEqual(ladder, rankedOtsu, 3); // the scene tells the two rules apart

        bool takesLadder = refinement is Refinement.DenseCrf or Refinement.GuidedFilter;
        AssertSameClick(takesLadder ? ThresholdRule.StableMask : ThresholdRule.RankedOtsu, new SegmentationPrompt(seed));
        AssertSameClick(ThresholdRule.RankedOtsu, new SegmentationPrompt([seed, new PixelPoint(20, 100)]));
        AssertSameClick(ThresholdRule.RankedOtsu, new SegmentationPrompt([seed], [new PixelPoint(120, 60)]));
        AssertSameClick(ThresholdRule.RankedOtsu, new SegmentationPrompt(new PixelRect(0, 0, 64, 128), [seed]));

        void AssertSameClick(ThresholdRule expected, in SegmentationPrompt prompt)
        {
            var byRule = new SegmentationResult(features) { Guide = guide };
            var byExpected = new SegmentationResult(features) { Guide = guide };
            segmenter.SegmentAuto(features, prompt, ThresholdRule.StableSingleSeed, byRule);
            segmenter.SegmentAuto(features, prompt, expected, byExpected);
            Assert.Equal(ThresholdRule.StableSingleSeed, byRule.AutoRule);
            Assert.Equal(byExpected.Threshold, byRule.Threshold);
            Assert.Equal(byExpected.Mask.ToArray(), byRule.Mask.ToArray());
        }
    }

    [Theory]
    [InlineData(ThresholdRule.StableMask)]
    [InlineData(ThresholdRule.StableSingleSeed)]
    public void ChooseThreshold_WithALadderRule_IsWhatAnAutomaticClickChose_AndLeavesTheResultAsItWas(ThresholdRule rule)
    {
        var (features, guide) = GradedScene();
        var segmenter = new SimilaritySegmenter(TestOptions.Unrefined with { Refinement = Refinement.GrabCut, ComputeSoftMask = false, ThresholdRule = rule });
        var seed = new PixelPoint(12, 60);
        var auto = new SegmentationResult(features) { Guide = guide };
        segmenter.SegmentAuto(features, new SegmentationPrompt(seed), ThresholdRule.StableMask, auto);
        var byHand = new SegmentationResult(features) { Guide = guide };
        segmenter.Segment(features, new SegmentationPrompt(seed), 0.9f, byHand);
        byte[] maskByHand = byHand.Mask.ToArray();
        Assert.NotEqual(0.9f, auto.Threshold);

        // With GrabCut StableSingleSeed is RankedOtsu (no ladder); StableMask keeps its ladder. With the CRF both take it.
        float expected = rule == ThresholdRule.StableMask ? auto.Threshold : AutoThreshold.Compute(ThresholdRule.RankedOtsu, byHand);
        Assert.Equal(expected, segmenter.ChooseThreshold(byHand), 5);
        Assert.Equal(0.9f, byHand.Threshold);
        Assert.Equal(maskByHand, byHand.Mask.ToArray());
        Assert.Null(byHand.AutoRule);

        var crf = new SimilaritySegmenter(TestOptions.Unrefined with { Refinement = Refinement.DenseCrf, ComputeSoftMask = false });
        var plainAuto = new SegmentationResult(features) { Guide = guide };
        crf.SegmentAuto(features, new SegmentationPrompt(seed), ThresholdRule.StableMask, plainAuto);
        var plainByHand = new SegmentationResult(features) { Guide = guide };
        crf.Segment(features, new SegmentationPrompt(seed), 0.9f, plainByHand);
        Assert.Equal(plainAuto.Threshold, crf.ChooseThreshold(plainByHand, rule), 5);
        Assert.Equal(plainAuto.Threshold, crf.ChooseThreshold(plainAuto, ThresholdRule.StableMask)); // read back, not a second ladder
    }

    [Theory]
    [InlineData(Refinement.GuidedFilter, true)]
    [InlineData(Refinement.None, false)]
    public void ChoosesByLadder_IsTrueOnlyWhereChooseThresholdWouldRunTheLadder(Refinement refinement, bool ladder)
    {
        var (features, guide) = GradedScene();
        var segmenter = new SimilaritySegmenter(TestOptions.Unrefined with { Refinement = refinement, ComputeSoftMask = false, ThresholdRule = ThresholdRule.StableSingleSeed });
        var result = new SegmentationResult(features) { Guide = guide };

        segmenter.Segment(features, new SegmentationPrompt(new PixelPoint(12, 60)), 0.5f, result);
        Assert.Equal(ladder, segmenter.ChoosesByLadder(result));
        Assert.True(segmenter.ChoosesByLadder(result, ThresholdRule.StableMask));
        Assert.False(segmenter.ChoosesByLadder(result, ThresholdRule.RankedOtsu));

        segmenter.SegmentAuto(features, new SegmentationPrompt(new PixelPoint(12, 60)), into: result);
        Assert.False(segmenter.ChoosesByLadder(result)); // the automatic click holds its answer
        Assert.Throws<ArgumentException>("result", () => segmenter.ChoosesByLadder(new SegmentationResult(features)));
        Assert.Throws<ArgumentOutOfRangeException>("rule", () => segmenter.ChoosesByLadder(result, (ThresholdRule)99));
    }

    [Fact]
    public void SegmentAuto_DefaultRuleOnOneSeedWithAReusedResult_AllocatesNothing()
    {
        var (features, guide) = GradedScene();
        var segmenter = new SimilaritySegmenter(SegmentationOptions.Default with { ComputeSoftMask = false });
        var result = new SegmentationResult(features) { Guide = guide };
        segmenter.SegmentAuto(features, new SegmentationPrompt(new PixelPoint(12, 60)), into: result);
        segmenter.SegmentAuto(features, new SegmentationPrompt(new PixelPoint(14, 62)), into: result);

        long before = GC.GetAllocatedBytesForCurrentThread();
        segmenter.SegmentAuto(features, new SegmentationPrompt(new PixelPoint(12, 60)), into: result);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(ThresholdRule.StableSingleSeed, result.AutoRule);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Compute_StableMask_ThrowsNamingTheSegmenter()
    {
        var (features, _) = GradedScene();
        SegmentationResult result = new SimilaritySegmenter(TestOptions.Unrefined).Segment(features, new PixelPoint(12, 60), 0.5f);

        var error = Assert.Throws<ArgumentException>("rule", () => AutoThreshold.Compute(ThresholdRule.StableMask, result));
        Assert.Contains("SegmentAuto", error.Message, StringComparison.Ordinal);
    }
}
