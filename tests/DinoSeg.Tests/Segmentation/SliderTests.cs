namespace DinoSeg.Tests.Segmentation;

/// <summary>
/// The slider (<see cref="SimilaritySegmenter.Rethreshold"/>) rewrites only the blocks of the map that hold a value between
/// the old and the new threshold, when it can. Whatever came before — the pipelined click, a staged click with negative
/// seeds, a box or several seeds, region options, refinement, an automatic threshold, graph ranking — every threshold of a walk must leave
/// the mask and count a fresh segmentation at that threshold gives.
/// </summary>
public sealed class SliderTests
{
    public enum Prompt
    {
        OneSeed,
        TwoSeedsMax,
        TwoSeedsMean,
        Negative,
        Box,
        RegionOptions,
        Refined,
        Auto,
        Ranked,
        RankedNegative,
    }

    private const int Width = 300, Height = 190;
    private static readonly PixelPoint Seed = new(90, 60), Second = new(250, 150), Negative = new(200, 40);
    private static readonly PixelRect Box = new(40, 30, 160, 120);

    public static TheoryData<Prompt> Prompts => new(Enum.GetValues<Prompt>());

    [Theory]
    [MemberData(nameof(Prompts))]
    public void Rethreshold_AnyWalk_EqualsAFreshSegmentAtEachThreshold(Prompt prompt)
    {
        PatchFeatures f = SimilaritySegmenterTests.RandomFeatures(5, 12, 19, 16, Width, Height);
        SimilaritySegmenter segmenter = Segmenter(prompt);
        SegmentationResult result = NewResult(f, prompt);
        if (prompt == Prompt.Auto) segmenter.SegmentAuto(f, new SegmentationPrompt([Seed]), ThresholdRule.Otsu, result);
        else Segment(segmenter, f, prompt, 0.1f, result);

        var random = new Random(11);
        float t = result.Threshold;
        for (int step = 0; step < 25; step++)
        {
            // Small drags, jumps, repeats, the ends, and values that occur in the map itself.
            t = random.Next(5) switch
            {
                0 => t,
                1 => random.Next(2) == 0 ? -1f : 1f,
                2 => Math.Clamp(result.Similarity[random.Next(Width * Height)], -1f, 1f),
                3 => (float)(random.NextDouble() * 1.2 - 0.4),
                _ => Math.Clamp(t + (float)(random.NextDouble() - 0.5) * 0.05f, -1f, 1f),
            };

            segmenter.Rethreshold(result, t);

            SegmentationResult fresh = NewResult(f, prompt);
            Segment(segmenter, f, prompt, t, fresh);
            int mismatch = fresh.Mask.CommonPrefixLength(result.Mask);
            Assert.True(mismatch == Width * Height, $"{prompt}, step {step}, threshold {t}: mask[{mismatch}] differs.");
            Assert.Equal(fresh.SelectedPixels, result.SelectedPixels);
            Assert.Equal(result.SelectedPixels, result.Mask.ToArray().Count(v => v == 255));
        }
    }

    [Fact]
    public void Rethreshold_AfterAClickWithAnotherPrompt_FollowsTheNewMap()
    {
        // Each click replaces the map, its bounds and its mask; a slider move after a prompt of another kind must use the new ones.
        PatchFeatures f = SimilaritySegmenterTests.RandomFeatures(8, 12, 19, 16, Width, Height);
        var segmenter = new SimilaritySegmenter(TestOptions.Unrefined);
        var result = new SegmentationResult(f);
        foreach (Prompt prompt in new[] { Prompt.OneSeed, Prompt.Negative, Prompt.OneSeed, Prompt.Box, Prompt.TwoSeedsMax, Prompt.OneSeed })
        {
            Segment(segmenter, f, prompt, 0.05f, result);
            segmenter.Rethreshold(result, 0.12f);

            SegmentationResult fresh = new(f);
            Segment(segmenter, f, prompt, 0.12f, fresh);
            Assert.True(fresh.Mask.SequenceEqual(result.Mask), prompt.ToString());
            Assert.Equal(fresh.SelectedPixels, result.SelectedPixels);
        }
    }

    private static SimilaritySegmenter Segmenter(Prompt prompt) => new(prompt switch
    {
        Prompt.TwoSeedsMean => TestOptions.Unrefined with { SeedCombine = SeedCombine.Mean },
        Prompt.RegionOptions => TestOptions.Unrefined with { KeepSeedRegionsOnly = true, MinRegionArea = 400 },
        Prompt.Refined => TestOptions.Unrefined with { Refinement = Refinement.GuidedFilter, RefineRadius = 6 },
        Prompt.Ranked or Prompt.RankedNegative => TestOptions.Unrefined with { Propagation = Propagation.Graph },
        _ => TestOptions.Unrefined,
    });

    private static SegmentationResult NewResult(PatchFeatures f, Prompt prompt)
    {
        var result = new SegmentationResult(f);
        if (prompt == Prompt.Refined)
        {
            var random = new Random(3);
            var grey = new float[Width * Height];
            for (int i = 0; i < grey.Length; i++) grey[i] = (i % Width < 120 ? 0.2f : 0.7f) + (float)random.NextDouble() * 0.1f;
            result.Guide = RefinementGuide.FromGrey(grey, Width, Height);
        }

        return result;
    }

    private static void Segment(SimilaritySegmenter segmenter, PatchFeatures f, Prompt prompt, float threshold, SegmentationResult into)
    {
        switch (prompt)
        {
            case Prompt.TwoSeedsMax or Prompt.TwoSeedsMean:
                segmenter.Segment(f, new SegmentationPrompt([Seed, Second]), threshold, into);
                break;
            case Prompt.Negative or Prompt.RankedNegative:
                segmenter.Segment(f, new SegmentationPrompt([Seed], [Negative]), threshold, into);
                break;
            case Prompt.Box:
                segmenter.Segment(f, new SegmentationPrompt(Box), threshold, into);
                break;
            default:
                segmenter.Segment(f, new SegmentationPrompt([Seed]), threshold, into);
                break;
        }
    }
}
