using DinoSeg.Evaluation;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Tests.Segmentation;

/// <summary><see cref="ThresholdRule.StableMask"/>: the ladder threshold whose finished mask changes least a step up; <see cref="ThresholdRule.StableSingleSeed"/>, the default, which takes it for one seed alone.</summary>
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

    /// <summary>The rule written out directly: a fresh fixed-threshold click per ladder value, scored by its IoU with the next one up.</summary>
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
        return ladder[StableIndex(masks, passOverWholeImage: true)];
    }

    /// <summary>
    /// The ladder's choice among its finished masks: the one most like the next one up (the top one: like the one below;
    /// ties to the lower threshold); with <paramref name="passOverWholeImage"/>, a mask of 95 % of the image or more only
    /// when every mask is one.
    /// </summary>
    private static int StableIndex(byte[][] masks, bool passOverWholeImage)
    {
        double[] step = [.. Enumerable.Range(0, 8).Select(i => MaskMetrics.IoU(masks[i], masks[i + 1]))];
        double[] score = [.. Enumerable.Range(0, 9).Select(i => step[Math.Min(i, 7)])];
        bool[] whole = [.. masks.Select(m => m.Count(v => v != 0) >= 0.95 * m.Length)];
        if (passOverWholeImage && whole.Contains(false))
        {
            for (int i = 0; i < 9; i++) score[i] = whole[i] ? double.NegativeInfinity : score[i];
        }

        return Array.IndexOf(score, score.Max()); // the first maximum: ties go to the lower threshold
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

    // Ranked over this scene's small graph, every patch reaches half the seed's rank, so the ladder's values up to 0.5 all
    // select the whole image: the most stable mask of all, and never the region of a click.
    [Fact]
    public void SegmentAuto_StableMask_PassesOverMasksOfTheWholeImage()
    {
        var (features, guide) = GradedScene();
        var segmenter = new SimilaritySegmenter(TestOptions.Unrefined with { ComputeSoftMask = false });
        var seed = new PixelPoint(12, 60);
        float[] ladder = [.. Enumerable.Range(0, 9).Select(i => 0.2f + 0.4f * i / 8)];
        byte[][] masks = [.. ladder.Select(t => segmenter.Segment(features, new SegmentationPrompt(seed), t, new SegmentationResult(features)).Mask.ToArray())];
        Assert.Equal(Size * Size, masks[StableIndex(masks, passOverWholeImage: false)].Count(v => v != 0)); // the scene makes the rule matter

        var result = segmenter.SegmentAuto(features, new SegmentationPrompt(seed), ThresholdRule.StableMask, new SegmentationResult(features) { Guide = guide });

        Assert.Equal(ladder[StableIndex(masks, passOverWholeImage: true)], result.Threshold, 5);
        Assert.InRange(result.Mask.ToArray().Count(v => v != 0), 1, 0.95 * Size * Size);
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
    public void StableSingleSeed_IsTheLadderForOneRefinedSeedAlone_ItsFloorForLaterClicks_AndRankedOtsuOtherwise(Refinement refinement)
    {
        var (features, guide) = GradedScene();
        var segmenter = new SimilaritySegmenter(TestOptions.Unrefined with { Refinement = refinement, ComputeSoftMask = false });
        var seed = new PixelPoint(12, 60);
        float ladder = ReferenceThreshold(segmenter, features, guide, [seed]);
        float rankedOtsu = segmenter.SegmentAuto(features, new SegmentationPrompt(seed), ThresholdRule.RankedOtsu, new SegmentationResult(features) { Guide = guide }).Threshold;
        Assert.NotEqual(ladder, rankedOtsu, 3); // the scene tells the two rules apart

        bool refined = refinement is Refinement.DenseCrf or Refinement.GuidedFilter;
        AssertSameClick(new SegmentationPrompt(seed), refined ? ThresholdRule.StableMask : ThresholdRule.RankedOtsu);
        AssertSameClick(new SegmentationPrompt([seed, new PixelPoint(20, 100)]), ThresholdRule.RankedOtsu, refined ? ladder : null);
        AssertSameClick(new SegmentationPrompt([seed], [new PixelPoint(120, 60)]), ThresholdRule.RankedOtsu, refined ? ladder : null);
        AssertSameClick(new SegmentationPrompt(new PixelRect(0, 0, 64, 128), [seed]), ThresholdRule.RankedOtsu);

        // The rule's click equals the expected rule's, its threshold raised to the floor (and kept at or below the weakest seed).
        void AssertSameClick(in SegmentationPrompt prompt, ThresholdRule expected, float? floor = null)
        {
            var byRule = new SegmentationResult(features) { Guide = guide };
            var byExpected = new SegmentationResult(features) { Guide = guide };
            segmenter.SegmentAuto(features, prompt, ThresholdRule.StableSingleSeed, byRule);
            segmenter.SegmentAuto(features, prompt, expected, byExpected);
            float threshold = byExpected.Threshold;
            if (floor is { } f)
            {
                float weakest = prompt.Seeds.ToArray().Min(s => byExpected.Similarity[s.Y * Size + s.X]);
                threshold = Math.Min(Math.Max(threshold, f), weakest);
                segmenter.Segment(features, prompt, threshold, byExpected);
            }

            Assert.Equal(ThresholdRule.StableSingleSeed, byRule.AutoRule);
            Assert.Equal(threshold, byRule.Threshold);
            Assert.Equal(byExpected.Mask.ToArray(), byRule.Mask.ToArray());
        }
    }

    // On plain maps the ladder runs from the map's median to the seed, and this scene's first seed finds its plateau well above
    // the Otsu value of the later prompts, so the floor decides the later clicks.
    [Fact]
    public void StableSingleSeed_LaterClick_RaisesRankedOtsuToTheFirstSeedsLadderThreshold()
    {
        var (features, guide) = GradedScene();
        var segmenter = new SimilaritySegmenter(TestOptions.Plain with { Refinement = Refinement.GuidedFilter, ComputeSoftMask = false });
        var seed = new PixelPoint(12, 60);
        var prompt = new SegmentationPrompt([seed], [new PixelPoint(120, 60)]);
        float ladder = segmenter.SegmentAuto(features, new SegmentationPrompt(seed), ThresholdRule.StableMask, new SegmentationResult(features) { Guide = guide }).Threshold;
        float rankedOtsu = segmenter.SegmentAuto(features, prompt, ThresholdRule.RankedOtsu, new SegmentationResult(features) { Guide = guide }).Threshold;
        Assert.True(ladder > rankedOtsu + 0.01f, $"the scene must make the floor matter: ladder {ladder}, ranked-otsu {rankedOtsu}");

        float threshold = segmenter.SegmentAuto(features, prompt, ThresholdRule.StableSingleSeed, new SegmentationResult(features) { Guide = guide }).Threshold;

        Assert.Equal(ladder, threshold, 5);
    }

    [Fact]
    public void StableSingleSeed_LaterClick_IsTheSameWhateverTheResultHeldBefore()
    {
        var (features, guide) = GradedScene();
        var segmenter = new SimilaritySegmenter(TestOptions.Plain with { Refinement = Refinement.GuidedFilter, ComputeSoftMask = false });
        var first = new PixelPoint(12, 60);
        var prompt = new SegmentationPrompt([first, new PixelPoint(20, 100)], [new PixelPoint(120, 60)]);
        var fresh = segmenter.SegmentAuto(features, prompt, ThresholdRule.StableSingleSeed, new SegmentationResult(features) { Guide = guide });

        // After the first seed's own click (its ladder threshold kept), after another seed's, and after other options.
        var afterFirst = new SegmentationResult(features) { Guide = guide };
        segmenter.SegmentAuto(features, new SegmentationPrompt(first), ThresholdRule.StableSingleSeed, afterFirst);
        var afterOther = new SegmentationResult(features) { Guide = guide };
        segmenter.SegmentAuto(features, new SegmentationPrompt(new PixelPoint(100, 20)), ThresholdRule.StableSingleSeed, afterOther);
        var afterOptions = new SegmentationResult(features) { Guide = guide };
        segmenter.SegmentAuto(features, new SegmentationPrompt(first), ThresholdRule.StableSingleSeed, afterOptions, segmenter.Options with { RefineRadius = 2 });

        foreach (var result in new[] { afterFirst, afterOther, afterOptions })
        {
            segmenter.SegmentAuto(features, prompt, ThresholdRule.StableSingleSeed, result);
            Assert.Equal(fresh.Threshold, result.Threshold);
            Assert.Equal(fresh.Mask.ToArray(), result.Mask.ToArray());
            Assert.Equal(fresh.Similarity.ToArray(), result.Similarity.ToArray());
        }
    }

    [Fact]
    public void ChooseThreshold_StableSingleSeedOnALaterHandSetClick_IsWhatTheAutomaticClickChose_AndLeavesTheResultAsItWas()
    {
        var (features, guide) = GradedScene();
        var segmenter = new SimilaritySegmenter(TestOptions.Plain with { Refinement = Refinement.GuidedFilter, ComputeSoftMask = false });
        var first = new PixelPoint(12, 60);
        var prompt = new SegmentationPrompt([first], [new PixelPoint(120, 60)]);
        float automatic = segmenter.SegmentAuto(features, prompt, ThresholdRule.StableSingleSeed, new SegmentationResult(features) { Guide = guide }).Threshold;

        // Not kept (a fresh result): the ladder runs on the first seed alone and the prompt's map is rebuilt.
        var cold = new SegmentationResult(features) { Guide = guide };
        segmenter.Segment(features, prompt, 0.9f, cold);
        AssertChosenAndUnchanged(cold, ladder: true);

        // Kept from the first seed's own automatic click in the same result: one histogram.
        var warm = new SegmentationResult(features) { Guide = guide };
        segmenter.SegmentAuto(features, new SegmentationPrompt(first), ThresholdRule.StableSingleSeed, warm);
        segmenter.Segment(features, prompt, 0.9f, warm);
        AssertChosenAndUnchanged(warm, ladder: false);

        void AssertChosenAndUnchanged(SegmentationResult result, bool ladder)
        {
            byte[] mask = result.Mask.ToArray();
            float[] map = result.Similarity.ToArray();
            Assert.Equal(ladder, segmenter.ChoosesByLadder(result, ThresholdRule.StableSingleSeed));
            Assert.Equal(automatic, segmenter.ChooseThreshold(result, ThresholdRule.StableSingleSeed), 5);
            Assert.False(segmenter.ChoosesByLadder(result, ThresholdRule.StableSingleSeed)); // now kept
            Assert.Equal(0.9f, result.Threshold);
            Assert.Null(result.AutoRule);
            Assert.Equal(mask, result.Mask.ToArray());
            Assert.Equal(map, result.Similarity.ToArray());
            Assert.Equal(2, result.Seeds.Count + result.NegativeSeeds.Count);
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
    public void SegmentAuto_DefaultRuleOnTheProtocolsSecondClickWithAReusedResult_AllocatesNothing()
    {
        var (features, guide) = GradedScene();
        var segmenter = new SimilaritySegmenter(SegmentationOptions.Default with { ComputeSoftMask = false });
        var result = new SegmentationResult(features) { Guide = guide };
        PixelPoint[] positives = [new(12, 60)], negatives = [new(120, 60)];
        segmenter.SegmentAuto(features, new SegmentationPrompt(positives), into: result);
        segmenter.SegmentAuto(features, new SegmentationPrompt(positives, negatives), into: result);

        long before = GC.GetAllocatedBytesForCurrentThread();
        segmenter.SegmentAuto(features, new SegmentationPrompt(positives, negatives), into: result);
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
