using DinoSeg.Evaluation;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Tests.Segmentation;

/// <summary>
/// The default refinement (the dense CRF) reads the image: where the guide comes from (the features that
/// <see cref="DinoSegmenter"/> extracted, or the caller), and what a click without one says.
/// </summary>
public sealed class DefaultRefinementTests
{
    [Fact]
    public void Default_RefinesWithTheCrf()
    {
        Assert.Equal(Refinement.DenseCrf, SegmentationOptions.Default.Refinement);
        Assert.Equal(Refinement.DenseCrf, new SimilaritySegmenter().Options.Refinement);
    }

    [Fact]
    public void DinoSegmenterExtract_KeepsTheImageGuideWithTheFeatures_SoAFeaturesOnlyClickRefines()
    {
        DinoSegmenter dino = EmbeddedBackbone.Segmenter;
        using Image<Rgb24> image = Image.Load<Rgb24>(TestPaths.Image("chelsea.png"));

        PatchFeatures features = dino.Extract(image);
        SegmentationResult clicked = dino.Segment(features, new PixelPoint(172, 115), 0.4f);

        Assert.NotNull(features.Guide);
        Assert.Equal((image.Width, image.Height), (features.Guide!.Width, features.Guide.Height));
        Assert.Same(features.Guide, clicked.Guide);
        // The same click on a guide-less copy of the features, with the guide set by hand, gives the same mask.
        PatchFeatures copy = PatchFeatures.FromVectors(features.Vectors, features.Rows, features.Cols, features.Dim, features.PatchSize,
            features.WorkingWidth, features.WorkingHeight, features.ImageWidth, features.ImageHeight, features.Backbone);
        var byHand = new SegmentationResult(copy) { Guide = RefinementGuide.FromImage(image) };
        dino.Segmenter.Segment(copy, new SegmentationPrompt([new PixelPoint(172, 115)]), 0.4f, byHand);
        Assert.True(clicked.Mask.SequenceEqual(byHand.Mask));
    }

    [Fact]
    public void UnrefinedSegmenter_ExtractsWithoutAGuide()
    {
        using var dino = new DinoSegmenter(EmbeddedBackbone.Extractor, TestOptions.Unrefined, ownsExtractor: false);
        using Image<Rgb24> image = Image.Load<Rgb24>(TestPaths.Image("chelsea.png"));

        Assert.Null(dino.Extract(image).Guide);
    }

    [Fact]
    public void FeaturesWithoutAGuide_DefaultClick_SaysHowToGiveOne()
    {
        var (features, _, _) = RefinementScenes.OffGridEdge();

        var e = Assert.Throws<ArgumentException>(() => new SimilaritySegmenter().Segment(features, new PixelPoint(10, 60), 0.5f));

        Assert.Contains("DenseCrf", e.Message);
        Assert.Contains("RefinementGuide.FromImage(image)", e.Message);
        Assert.Contains("Refinement.None", e.Message);
    }

    [Fact]
    public void RefiningSlider_OnAResultWithoutAGuide_SaysHowToGiveOne()
    {
        var (features, guide, _) = RefinementScenes.OffGridEdge();
        var refined = new SegmentationResult(features) { Guide = guide };
        new SimilaritySegmenter().Segment(features, new SegmentationPrompt(new PixelPoint(10, 60)), 0.5f, refined);
        refined.Guide = null;

        // The slider finishes the mask with the click's options (refining here), whichever segmenter it is called on.
        var e = Assert.Throws<ArgumentException>(() => new SimilaritySegmenter(TestOptions.Unrefined).Rethreshold(refined, 0.4f));

        Assert.Contains("RefinementGuide.FromImage(image)", e.Message);
    }

    [Fact]
    public void FeaturesGuide_SetOnce_RefinesEveryResultMadeFromThem_AndMatchesTheResultGuide()
    {
        var (features, guide, truth) = RefinementScenes.OffGridEdge();
        var segmenter = new SimilaritySegmenter();
        var viaResult = new SegmentationResult(features) { Guide = guide };
        segmenter.Segment(features, new SegmentationPrompt([new PixelPoint(10, 60)]), 0.5f, viaResult);

        features.Guide = guide;
        SegmentationResult viaFeatures = segmenter.Segment(features, new PixelPoint(10, 60), 0.5f);

        Assert.True(viaFeatures.Mask.SequenceEqual(viaResult.Mask));
        // Refined, the edge is the image's (x = 56), not the patch grid's mixed column.
        Assert.True(MaskMetrics.IoU(viaFeatures.Mask, truth) > 0.95);
    }

    [Fact]
    public void ReusedResult_TakesTheNewImagesGuide()
    {
        var (features, guide, _) = RefinementScenes.OffGridEdge();
        var (other, otherGuide, _) = RefinementScenes.OffGridEdge();
        features.Guide = guide;
        other.Guide = otherGuide;
        var segmenter = new SimilaritySegmenter();
        var result = new SegmentationResult(features);
        segmenter.Segment(features, new SegmentationPrompt([new PixelPoint(10, 60)]), 0.5f, result);

        segmenter.Segment(other, new SegmentationPrompt([new PixelPoint(10, 60)]), 0.5f, result);

        Assert.Same(otherGuide, result.Guide);
    }

    [Fact]
    public void FromDecodedImage_IsTheGuideOfItsPixels()
    {
        using DecodedImage decoded = DecodedImage.Load(TestPaths.Image("chelsea.png"));
        using Image<Rgb24> image = Image.Load<Rgb24>(TestPaths.Image("chelsea.png"));

        RefinementGuide fromDecoded = RefinementGuide.FromImage(decoded), fromImage = RefinementGuide.FromImage(image);

        Assert.Equal((image.Width, image.Height), (fromDecoded.Width, fromDecoded.Height));
        Assert.True(fromDecoded.Rgb.SequenceEqual(fromImage.Rgb));
        Assert.True(fromDecoded.Grey.SequenceEqual(fromImage.Grey));
        Assert.InRange(fromDecoded.Grey[0], 0f, 1f);
    }

    [Fact]
    public void FeaturesGuide_OfAnotherSize_Refuses()
    {
        var (features, _, _) = RefinementScenes.OffGridEdge();

        var e = Assert.Throws<ArgumentException>(() => features.Guide = RefinementGuide.FromGrey(new float[64 * 64], 64, 64));

        Assert.Contains("64x64", e.Message);
        Assert.Contains("128x128", e.Message);
    }
}
