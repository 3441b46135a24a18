using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Tests.Segmentation;

/// <summary>Small synthetic images with known truth for the edge refinements' tests (GrabCut, the dense CRF).</summary>
internal static class RefinementScenes
{
    public const int Patches = 8, Size = 128, Edge = 56;

    /// <summary>
    /// 8 x 8 patches over a 128 x 128 image whose object is x &lt; 56 (patch column 3, 48..63, is the mixture a backbone gives),
    /// as in the guided-filter tests; the image is a noisy red object on a noisy blue background, edge exactly at x = 56.
    /// </summary>
    public static (PatchFeatures Features, RefinementGuide Guide, byte[] Truth) OffGridEdge()
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

    /// <summary>
    /// Bytes the calling thread allocates for a click, an automatic click and a slider move into a result already used
    /// once (with seeds and a negative on <see cref="OffGridEdge"/>): the refinements' buffers must be reused.
    /// </summary>
    public static long AllocatedByWarmClicks(SimilaritySegmenter segmenter)
    {
        var (features, guide, _) = OffGridEdge();
        var result = new SegmentationResult(features) { Guide = guide };
        PixelPoint[] positives = [new(10, 60)], negatives = [new(120, 60)];
        segmenter.Segment(features, new SegmentationPrompt(positives, negatives), 0.5f, result);
        segmenter.SegmentAuto(features, new SegmentationPrompt(positives, negatives), ThresholdRule.Otsu, result);

        long before = GC.GetAllocatedBytesForCurrentThread();
        segmenter.Segment(features, new SegmentationPrompt(positives, negatives), 0.5f, result);
        segmenter.SegmentAuto(features, new SegmentationPrompt(positives, negatives), ThresholdRule.Otsu, result);
        segmenter.Rethreshold(result, 0.45f);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    /// <summary>A mask refinement given a grey guide (no colours) refuses the click before changing the result.</summary>
    public static void AssertGreyGuideThrowsBeforeAnyWork(SimilaritySegmenter segmenter)
    {
        var (features, _, _) = OffGridEdge();
        var result = new SegmentationResult(features) { Guide = RefinementGuide.FromGrey(new float[Size * Size], Size, Size) };

        Assert.Throws<ArgumentException>("into", () => segmenter.Segment(features, new SegmentationPrompt([new PixelPoint(10, 60)]), 0.5f, result));
        Assert.Empty(result.Seeds);
    }

    /// <summary>
    /// A mask refinement runs on the final mask whatever made it: a slider move (0.9 → 0.4) equals a fresh click at 0.4,
    /// and an automatic click equals a fixed click at the threshold it chose.
    /// </summary>
    public static void AssertSliderAndAutoRefineLikeAFreshClick(SimilaritySegmenter segmenter)
    {
        var (features, guide, _) = OffGridEdge();
        PixelPoint[] seeds = [new(10, 60)];
        var slid = new SegmentationResult(features) { Guide = guide };
        segmenter.Segment(features, new SegmentationPrompt(seeds), 0.9f, slid);
        segmenter.Rethreshold(slid, 0.4f);
        var fresh = new SegmentationResult(features) { Guide = guide };
        segmenter.Segment(features, new SegmentationPrompt(seeds), 0.4f, fresh);
        var auto = new SegmentationResult(features) { Guide = guide };
        segmenter.SegmentAuto(features, new SegmentationPrompt(seeds), ThresholdRule.Otsu, auto);
        var atAuto = new SegmentationResult(features) { Guide = guide };
        segmenter.Segment(features, new SegmentationPrompt(seeds), auto.Threshold, atAuto);

        Assert.Equal(fresh.Mask.ToArray(), slid.Mask.ToArray());
        Assert.Equal(fresh.SelectedPixels, slid.SelectedPixels);
        Assert.Equal(atAuto.Mask.ToArray(), auto.Mask.ToArray());
    }
}
