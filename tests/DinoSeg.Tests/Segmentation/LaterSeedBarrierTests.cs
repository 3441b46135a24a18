namespace DinoSeg.Tests.Segmentation;

/// <summary>
/// <see cref="GraphOptions.LaterSeedBarrier"/>: a positive seed after the first, on a patch the first seed ranks as part of
/// its region, does not spread through what the first seed ranks as clear background.
/// </summary>
public sealed class LaterSeedBarrierTests
{
    private const int Cols = 12, Rows = 8, Patch = 16, Width = Cols * Patch, Height = Rows * Patch;

    // The object (columns 0–4, e0), its edge (column 5: half object, half background, as a patch over a thin part is)
    // and the background (columns 6–11, e1), each patch with a little noise so the graph has neighbours to choose.
    private static PatchFeatures EdgeScene()
    {
        var random = new Random(3);
        var raw = new float[Rows * Cols * 4];
        for (int r = 0; r < Rows; r++)
        {
            for (int c = 0; c < Cols; c++)
            {
                float objectness = c < 5 ? 1f : c == 5 ? 0.5f : 0f;
                int p = (r * Cols + c) * 4;
                raw[p] = objectness;
                raw[p + 1] = 1 - objectness;
                raw[p + 2] = 0.1f * (float)random.NextDouble();
                raw[p + 3] = 0.1f * (float)random.NextDouble();
            }
        }

        return PatchFeatures.FromVectors(raw, Rows, Cols, 4, Patch, Width, Height, Width, Height, "test");
    }

    private static readonly PixelPoint InObject = new(40, 64), OnEdge = new(88, 64), InBackground = new(168, 64), FarBackground = new(180, 20);

    private static SimilaritySegmenter Segmenter(double barrier) =>
        new(TestOptions.Unrefined with { Graph = GraphOptions.Default with { LaterSeedBarrier = barrier }, ComputeSoftMask = false });

    private static bool Selected(SegmentationResult result, PixelPoint p) => result.Mask[p.Y * Width + p.X] != 0;

    [Fact]
    public void LaterSeedOnTheFirstSeedsRegion_DoesNotSpreadOverItsBackground()
    {
        var features = EdgeScene();
        var prompt = new SegmentationPrompt([InObject, OnEdge]);
        var alone = Segmenter(0.5).Segment(features, new SegmentationPrompt(InObject), 0.6f);
        // The first seed ranks the edge about 0.55 and the background 0.20–0.26: at 0.6 the barrier lies at 0.3, between them.
        Assert.True(alone.PatchSimilarity[4 * Cols + 5] >= 0.3f, "the edge patch must lie within the first seed's region");
        Assert.False(Selected(alone, FarBackground));

        var open = Segmenter(0).Segment(features, prompt, 0.6f);
        var barred = Segmenter(0.5).Segment(features, prompt, 0.6f);

        Assert.True(Selected(open, FarBackground), "without the barrier the edge seed's map must reach the background");
        Assert.False(Selected(barred, FarBackground));
        Assert.True(Selected(barred, InObject) && Selected(barred, OnEdge));
        Assert.True(barred.SelectedPixels < open.SelectedPixels);
        Assert.Equal(0.6f, barred.Threshold);
    }

    [Fact]
    public void LaterSeedOnTheFirstSeedsBackground_RanksFreely()
    {
        var features = EdgeScene();
        var prompt = new SegmentationPrompt([InObject, InBackground]);

        var open = Segmenter(0).Segment(features, prompt, 0.6f);
        var barred = Segmenter(0.5).Segment(features, prompt, 0.6f);

        Assert.True(Selected(barred, FarBackground));
        Assert.Equal(open.PatchSimilarity.ToArray(), barred.PatchSimilarity.ToArray());
        Assert.Equal(open.Mask.ToArray(), barred.Mask.ToArray());
    }

    [Fact]
    public void Barrier_IsOff_ForRulesThatReadTheThresholdOffTheMap_AndForABox()
    {
        var features = EdgeScene();
        var prompt = new SegmentationPrompt([InObject, OnEdge]);
        var open = Segmenter(0).SegmentAuto(features, prompt, ThresholdRule.RankedOtsu);
        var barred = Segmenter(0.5).SegmentAuto(features, prompt, ThresholdRule.RankedOtsu);
        Assert.Equal(open.PatchSimilarity.ToArray(), barred.PatchSimilarity.ToArray());

        var boxed = new SegmentationPrompt(new PixelRect(0, 0, 120, 128), [InObject, OnEdge]);
        Assert.Equal(Segmenter(0).Segment(features, boxed, 0.6f).PatchSimilarity.ToArray(), Segmenter(0.5).Segment(features, boxed, 0.6f).PatchSimilarity.ToArray());
    }

    [Fact]
    public void Barrier_DependsOnTheClicksThreshold_AndTheSliderKeepsTheMap()
    {
        var features = EdgeScene();
        var segmenter = Segmenter(0.5);
        var prompt = new SegmentationPrompt([InObject, OnEdge]);
        var result = segmenter.Segment(features, prompt, 0.6f);
        float[] map = result.PatchSimilarity.ToArray();

        segmenter.Rethreshold(result, 0.2f);

        Assert.Equal(map, result.PatchSimilarity.ToArray());
        Assert.Equal(0.2f, result.Threshold);
        var reclicked = segmenter.Segment(features, prompt, 0.2f);
        Assert.NotEqual(map, reclicked.PatchSimilarity.ToArray()); // a barrier at 0.1, below the whole background, instead of 0.3
    }

    [Fact]
    public void ChooseThreshold_RebuildingALaterClicksMap_KeepsItsBarrier()
    {
        var features = EdgeScene();
        var guide = RefinementGuide.FromImage(new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(Width, Height));
        var segmenter = new SimilaritySegmenter(TestOptions.Unrefined with { Refinement = Refinement.GuidedFilter, ComputeSoftMask = false });
        var result = new SegmentationResult(features) { Guide = guide };
        segmenter.Segment(features, new SegmentationPrompt([InObject, OnEdge]), 0.6f, result);
        float[] map = result.Similarity.ToArray();
        byte[] mask = result.Mask.ToArray();

        Assert.True(segmenter.ChoosesByLadder(result, ThresholdRule.StableSingleSeed)); // the first seed's ladder is not held
        segmenter.ChooseThreshold(result, ThresholdRule.StableSingleSeed);

        Assert.Equal(map, result.Similarity.ToArray());
        Assert.Equal(mask, result.Mask.ToArray());
        Assert.Equal(0.6f, result.Threshold);
    }

    [Fact]
    public void LaterClickWithTheBarrier_IntoAReusedResult_AllocatesNothing()
    {
        var features = EdgeScene();
        var segmenter = Segmenter(0.5);
        var result = new SegmentationResult(features);
        var prompt = new SegmentationPrompt([InObject, OnEdge], [FarBackground]);
        segmenter.Segment(features, prompt, 0.6f, result);

        long before = GC.GetAllocatedBytesForCurrentThread();
        segmenter.Segment(features, prompt, 0.6f, result);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }
}
