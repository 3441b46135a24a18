namespace DinoSeg.Tests.Segmentation;

public sealed class SegmentationPromptTests
{
    [Fact]
    public void Constructors_HoldWhatTheyWereGiven()
    {
        var seed = new PixelPoint(3, 4);
        var box = new PixelRect(1, 2, 30, 40);
        PixelPoint[] seeds = [new(5, 6), new(7, 8)], negatives = [new(9, 10)];

        var one = new SegmentationPrompt(seed);
        var many = new SegmentationPrompt(seeds, negatives);
        var boxed = new SegmentationPrompt(box, seeds);
        var boxOnly = new SegmentationPrompt(box);

        Assert.Equal([seed], one.Seeds.ToArray());
        Assert.True(one.Negatives.IsEmpty);
        Assert.Null(one.Box);
        Assert.Equal(seeds, many.Seeds.ToArray());
        Assert.Equal(negatives, many.Negatives.ToArray());
        Assert.Null(many.Box);
        Assert.Equal(seeds, boxed.Seeds.ToArray());
        Assert.Equal(box, boxed.Box);
        Assert.True(boxOnly.Seeds.IsEmpty && boxOnly.Negatives.IsEmpty);
        Assert.Equal(box, boxOnly.Box);
        Assert.True(default(SegmentationPrompt).Seeds.IsEmpty);
    }

    [Fact]
    public void Validate_WithoutFeatures_RefusesWhatAClickRefuses_AndAcceptsTheRest()
    {
        PatchFeatures f = SimilaritySegmenterTests.TwoHalves();
        int w = f.ImageWidth, h = f.ImageHeight;
        var segmenter = new SimilaritySegmenter(TestOptions.Plain);

        SimilaritySegmenter.Validate(new SegmentationPrompt(new PixelPoint(w - 1, h - 1)), w, h, 1f);
        SimilaritySegmenter.Validate(new SegmentationPrompt(new PixelRect(0, 0, w, h), [], [new PixelPoint(0, 0)]), w, h);

        // Each bad click: the check alone and the click itself say the same (type and parameter), before any work.
        void Same(string param, Func<SegmentationPrompt> prompt, float? threshold = 0.5f)
        {
            var alone = Assert.ThrowsAny<ArgumentException>(() => SimilaritySegmenter.Validate(prompt(), w, h, threshold));
            var clicked = Assert.ThrowsAny<ArgumentException>(() => threshold is float t
                ? segmenter.Segment(f, prompt(), t)
                : segmenter.SegmentAuto(f, prompt()));
            Assert.Equal(param, alone.ParamName);
            Assert.Equal(param, clicked.ParamName);
            Assert.Equal(alone.GetType(), clicked.GetType());
            Assert.Equal(alone.Message, clicked.Message);
        }

        Same("prompt", () => default);
        Same("point", () => new SegmentationPrompt(new PixelPoint(w, 0)));
        PixelPoint[] inside = [new(1, 1)], below = [new(0, h)];
        Same("point", () => new SegmentationPrompt(inside, below), threshold: null);
        Same("prompt.Box", () => new SegmentationPrompt(new PixelRect(0, 0, w + 1, h)));
        Same("threshold", () => new SegmentationPrompt(new PixelPoint(1, 1)), threshold: 1.5f);
        Same("threshold", () => new SegmentationPrompt(new PixelPoint(1, 1)), threshold: float.NaN);
    }

    [Fact]
    public void Segment_EachPromptShape_EqualsTheSameClickSpelledOtherwise()
    {
        PatchFeatures f = SimilaritySegmenterTests.TwoHalves();
        var segmenter = new SimilaritySegmenter(TestOptions.Plain);
        var seed = new PixelPoint(10, 10);

        SegmentationResult single = segmenter.Segment(f, new SegmentationPrompt(seed), 0.5f);
        SegmentationResult card = segmenter.Segment(f, seed, 0.5f);
        SegmentationResult spanOfOne = segmenter.Segment(f, new SegmentationPrompt([seed]), 0.5f);

        Assert.Equal(card.Mask.ToArray(), single.Mask.ToArray());
        Assert.Equal(card.Mask.ToArray(), spanOfOne.Mask.ToArray());
        Assert.Equal([seed], single.Seeds);
        Assert.Equal(255, single.Mask[30 * 96 + 20]);
        Assert.Equal(0, single.Mask[30 * 96 + 80]);
    }

    [Fact]
    public void Segment_PromptWithNeitherSeedNorBox_ThrowsNamingThePrompt()
    {
        PatchFeatures f = SimilaritySegmenterTests.TwoHalves();
        var segmenter = new SimilaritySegmenter(TestOptions.Plain);

        Assert.Throws<ArgumentException>("prompt", () => segmenter.Segment(f, default(SegmentationPrompt), 0.5f));
        Assert.Throws<ArgumentException>("prompt", () => segmenter.SegmentAuto(f, new SegmentationPrompt([], [new PixelPoint(80, 10)])));
        Assert.Throws<ArgumentOutOfRangeException>("prompt.Box", () => segmenter.Segment(f, new SegmentationPrompt(new PixelRect(0, 0, 200, 10)), 0.5f));
    }

    [Fact]
    public void Segment_IntoAResult_ReturnsThatResult_AndAllocatesNothing()
    {
        PatchFeatures f = SimilaritySegmenterTests.TwoHalves();
        var segmenter = new SimilaritySegmenter(TestOptions.Plain);
        var result = new SegmentationResult(f);
        var seed = new PixelPoint(10, 10);
        var box = new PixelRect(0, 0, 40, 40);
        void Clicks()
        {
            segmenter.Segment(f, new SegmentationPrompt(seed), 0.5f, result);
            segmenter.Segment(f, new SegmentationPrompt([seed, new PixelPoint(20, 30)], [new PixelPoint(80, 10)]), 0.5f, result);
            segmenter.SegmentAuto(f, new SegmentationPrompt(box, [seed]), into: result);
        }

        Assert.Same(result, segmenter.Segment(f, new SegmentationPrompt(seed), 0.5f, result));
        Assert.Same(result, segmenter.SegmentAuto(f, new SegmentationPrompt(seed), into: result));
        Clicks(); // warm: buffers made

        Assert.Equal(0, SimilaritySegmenterTests.AllocatedBy(Clicks));
    }
}
