using DinoSeg.Evaluation;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Tests.Segmentation.GrabCut;

public sealed class GrabCutRefinementTests
{
    private const int Patches = 8, Size = 128, Edge = 56;

    /// <summary>
    /// 8 x 8 patches over a 128 x 128 image whose object is x &lt; 56 (patch column 3, 48..63, is the mixture a backbone gives),
    /// as in the guided-filter tests; the image is a noisy red object on a noisy blue background, edge exactly at x = 56.
    /// </summary>
    private static (PatchFeatures Features, RefinementGuide Guide, byte[] Truth) OffGridEdge()
    {
        var raw = new float[Patches * Patches * 2];
        for (int p = 0; p < Patches * Patches; p++)
        {
            int col = p % Patches;
            float objectness = col < 3 ? 1 : col == 3 ? 0.5f : 0;
            raw[2 * p] = objectness;
            raw[2 * p + 1] = 1 - objectness;
        }

        var random = new Random(3);
        var truth = new byte[Size * Size];
        using var image = new Image<Rgb24>(Size, Size);
        for (int y = 0; y < Size; y++)
        {
            for (int x = 0; x < Size; x++)
            {
                bool inside = x < Edge;
                int noise = random.Next(-20, 21);
                image[x, y] = inside ? new Rgb24((byte)(200 + noise), (byte)(60 + noise), 50) : new Rgb24(40, (byte)(90 + noise), (byte)(190 + noise));
                truth[y * Size + x] = inside ? (byte)255 : (byte)0;
            }
        }

        var features = PatchFeatures.FromVectors(raw, Patches, Patches, 2, 16, Size, Size, Size, Size, "test");
        return (features, RefinementGuide.FromImage(image), truth);
    }

    private static SimilaritySegmenter GrabCut() => new(SegmentationOptions.Default with { Refinement = Refinement.GrabCut, ComputeSoftMask = false });

    [Fact]
    public void GrabCut_OffGridEdge_MovesTheMaskEdgeOntoTheColourEdge()
    {
        var (features, guide, truth) = OffGridEdge();
        SegmentationResult plain = new SimilaritySegmenter().Segment(features, new PixelPoint(10, 60), 0.5f);
        var refined = new SegmentationResult(features) { Guide = guide };

        GrabCut().Segment(features, [new PixelPoint(10, 60)], 0.5f, refined);

        double before = MaskMetrics.IoU(plain.Mask, truth), after = MaskMetrics.IoU(refined.Mask, truth);
        Assert.True(after > before + 0.02, $"IoU {before:0.000} → {after:0.000}");
        Assert.True(after > 0.99, $"IoU after GrabCut {after:0.000}");
        Assert.Equal(refined.Mask.ToArray().Count(v => v != 0), refined.SelectedPixels);
        Assert.True(refined.GrabCutIterations is > 0 and <= SimilaritySegmenter.GrabCutIterations);
    }

    [Fact]
    public void GrabCut_GreyGuide_ThrowsBeforeAnyWork()
    {
        var (features, _, _) = OffGridEdge();
        var result = new SegmentationResult(features) { Guide = RefinementGuide.FromGrey(new float[Size * Size], Size, Size) };

        Assert.Throws<ArgumentException>("into", () => GrabCut().Segment(features, [new PixelPoint(10, 60)], 0.5f, result));
        Assert.Empty(result.Seeds);
    }

    [Fact]
    public void GrabCut_SliderAndAutoThreshold_RefineTheFinalMaskLikeAFreshClick()
    {
        var (features, guide, _) = OffGridEdge();
        SimilaritySegmenter segmenter = GrabCut();
        PixelPoint[] seeds = [new(10, 60)];
        var slid = new SegmentationResult(features) { Guide = guide };
        segmenter.Segment(features, seeds, 0.9f, slid);
        segmenter.Rethreshold(slid, 0.4f);
        var fresh = new SegmentationResult(features) { Guide = guide };
        segmenter.Segment(features, seeds, 0.4f, fresh);
        var auto = new SegmentationResult(features) { Guide = guide };
        segmenter.SegmentAuto(features, seeds, [], ThresholdRule.Otsu, auto);
        var atAuto = new SegmentationResult(features) { Guide = guide };
        segmenter.Segment(features, seeds, auto.Threshold, atAuto);

        Assert.Equal(fresh.Mask.ToArray(), slid.Mask.ToArray());
        Assert.Equal(fresh.SelectedPixels, slid.SelectedPixels);
        Assert.Equal(atAuto.Mask.ToArray(), auto.Mask.ToArray());
    }

    [Fact]
    public void GrabCut_Seeds_KeepTheirLabels()
    {
        var (features, guide, _) = OffGridEdge();
        var result = new SegmentationResult(features) { Guide = guide };
        PixelPoint positive = new(10, 60), outside = new(100, 20), negative = new(20, 100);

        GrabCut().Segment(features, [positive, outside], [negative], 0.5f, result);

        Assert.Equal(255, result.Mask[outside.Y * Size + outside.X]);
        Assert.Equal(0, result.Mask[negative.Y * Size + negative.X]);
        Assert.Equal(255, result.Mask[positive.Y * Size + positive.X]);
    }

    [Fact]
    public void GrabCut_ReusedResult_AllocatesNothing()
    {
        var (features, guide, _) = OffGridEdge();
        SimilaritySegmenter segmenter = GrabCut();
        var result = new SegmentationResult(features) { Guide = guide };
        PixelPoint[] positives = [new(10, 60)], negatives = [new(120, 60)];
        segmenter.Segment(features, positives, negatives, 0.5f, result);
        segmenter.SegmentAuto(features, positives, negatives, ThresholdRule.Otsu, result);

        long before = GC.GetAllocatedBytesForCurrentThread();
        segmenter.Segment(features, positives, negatives, 0.5f, result);
        segmenter.SegmentAuto(features, positives, negatives, ThresholdRule.Otsu, result);
        segmenter.Rethreshold(result, 0.45f);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void GrabCut_ConcurrentClicksSharingOneGuide_AreBitIdenticalToASequentialClick()
    {
        var (features, guide, _) = OffGridEdge();
        SimilaritySegmenter segmenter = GrabCut();
        PixelPoint[] seeds = [new(10, 60)];
        var sequential = new SegmentationResult(features) { Guide = RefinementGuide.FromImage(ImageOf(guide)) };
        segmenter.Segment(features, seeds, 0.5f, sequential);
        byte[] expected = sequential.Mask.ToArray();

        var masks = new byte[8][];
        System.Threading.Tasks.Parallel.For(0, masks.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var result = new SegmentationResult(features) { Guide = guide }; // β is computed by whichever thread comes first
            segmenter.Segment(features, seeds, 0.5f, result);
            masks[i] = result.Mask.ToArray();
        });

        Assert.All(masks, mask => Assert.Equal(expected, mask));
    }

    private static Image<Rgb24> ImageOf(RefinementGuide guide) => Image.LoadPixelData<Rgb24>(guide.Rgb, guide.Width, guide.Height);
}
