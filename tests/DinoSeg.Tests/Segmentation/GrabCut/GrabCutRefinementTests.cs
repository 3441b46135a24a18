using DinoSeg.Evaluation;
using DinoSeg.Pipeline;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Tests.Segmentation.GrabCut;

public sealed class GrabCutRefinementTests
{
    private const int Size = RefinementScenes.Size;


    private static SimilaritySegmenter GrabCut() => new(TestOptions.Unrefined with { Refinement = Refinement.GrabCut, ComputeSoftMask = false });

    [Fact]
    public void GrabCut_OffGridEdge_MovesTheMaskEdgeOntoTheColourEdge()
    {
        var (features, guide, truth) = RefinementScenes.OffGridEdge();
        SegmentationResult plain = new SimilaritySegmenter(TestOptions.Unrefined).Segment(features, new PixelPoint(10, 60), 0.5f);
        var refined = new SegmentationResult(features) { Guide = guide };

        GrabCut().Segment(features, new SegmentationPrompt([new PixelPoint(10, 60)]), 0.5f, refined);

        double before = MaskMetrics.IoU(plain.Mask, truth), after = MaskMetrics.IoU(refined.Mask, truth);
        Assert.True(after > before + 0.02, $"IoU {before:0.000} → {after:0.000}");
        Assert.True(after > 0.99, $"IoU after GrabCut {after:0.000}");
        Assert.Equal(refined.Mask.ToArray().Count(v => v != 0), refined.SelectedPixels);
        Assert.True(refined.Pipeline.GrabCutIterations is > 0 and <= MaskRefineStage.GrabCutRounds);
    }

    [Fact]
    public void GrabCut_GreyGuide_ThrowsBeforeAnyWork()
    {
        RefinementScenes.AssertGreyGuideThrowsBeforeAnyWork(GrabCut());
    }

    [Fact]
    public void GrabCut_SliderAndAutoThreshold_RefineTheFinalMaskLikeAFreshClick()
    {
        RefinementScenes.AssertSliderAndAutoRefineLikeAFreshClick(GrabCut());
    }

    [Fact]
    public void GrabCut_Seeds_KeepTheirLabels()
    {
        var (features, guide, _) = RefinementScenes.OffGridEdge();
        var result = new SegmentationResult(features) { Guide = guide };
        PixelPoint positive = new(10, 60), outside = new(100, 20), negative = new(20, 100);

        GrabCut().Segment(features, new SegmentationPrompt([positive, outside], [negative]), 0.5f, result);

        Assert.Equal(255, result.Mask[outside.Y * Size + outside.X]);
        Assert.Equal(0, result.Mask[negative.Y * Size + negative.X]);
        Assert.Equal(255, result.Mask[positive.Y * Size + positive.X]);
    }

    [Fact]
    public void GrabCut_ReusedResult_AllocatesNothing()
    {
        Assert.Equal(0, RefinementScenes.AllocatedByWarmClicks(GrabCut()));
    }

    [Fact]
    public void GrabCut_ConcurrentClicksSharingOneGuide_AreBitIdenticalToASequentialClick()
    {
        var (features, guide, _) = RefinementScenes.OffGridEdge();
        SimilaritySegmenter segmenter = GrabCut();
        PixelPoint[] seeds = [new(10, 60)];
        var sequential = new SegmentationResult(features) { Guide = RefinementGuide.FromImage(ImageOf(guide)) };
        segmenter.Segment(features, new SegmentationPrompt(seeds), 0.5f, sequential);
        byte[] expected = sequential.Mask.ToArray();

        var masks = new byte[8][];
        System.Threading.Tasks.Parallel.For(0, masks.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var result = new SegmentationResult(features) { Guide = guide }; // β is computed by whichever thread comes first
            segmenter.Segment(features, new SegmentationPrompt(seeds), 0.5f, result);
            masks[i] = result.Mask.ToArray();
        });

        Assert.All(masks, mask => Assert.Equal(expected, mask));
    }

    private static Image<Rgb24> ImageOf(RefinementGuide guide) => Image.LoadPixelData<Rgb24>(guide.Rgb, guide.Width, guide.Height);
}
