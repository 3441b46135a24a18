namespace DinoSeg.Tests.Segmentation;

/// <summary>
/// End to end on real photos with the embedded backbone: the mask must cover what was clicked (and what looks like it)
/// and leave most of the rest alone. Points were read off the photos by eye.
/// </summary>
public sealed class RealPhotoTests
{
    private readonly DinoSegmenter _dino = EmbeddedBackbone.Segmenter;

    [Fact]
    public void Segment_CatsLeftEye_FindsTheRightEyeToo_AndNotTheFur()
    {
        SegmentationResult r = _dino.Segment(TestPaths.Image("chelsea.png"), new PixelPoint(172, 115), _dino.DefaultThreshold);

        AssertSelected(r, (172, 115), (318, 137));
        AssertNotSelected(r, (60, 220), (262, 245), (400, 40), (240, 60));
        Assert.InRange(r.AreaFraction, 0.005, 0.15);
    }

    [Fact]
    public void Segment_EspressoCrema_CoversTheCremaNotTheTable()
    {
        SegmentationResult r = _dino.Segment(TestPaths.Image("coffee.png"), new PixelPoint(290, 150), _dino.DefaultThreshold);

        AssertSelected(r, (290, 150), (260, 140));
        AssertNotSelected(r, (560, 330), (40, 60), (120, 300), (540, 60));
        Assert.InRange(r.AreaFraction, 0.01, 0.2);
    }

    [Fact]
    public void Segment_NegativeOnTheCatsRightEye_RemovesThatEye_AndKeepsTheLeft()
    {
        PatchFeatures features = _dino.Extract(TestPaths.Image("chelsea.png"));
        PixelPoint[] positives = [new(172, 115)];

        SegmentationResult without = _dino.Segmenter.Segment(features, new SegmentationPrompt(positives), _dino.DefaultThreshold);
        SegmentationResult with = _dino.Segmenter.Segment(features, new SegmentationPrompt(positives, [new PixelPoint(318, 137)]), _dino.DefaultThreshold);

        AssertSelected(without, (172, 115), (318, 137));
        AssertSelected(with, (172, 115));
        AssertNotSelected(with, (318, 137));
        Assert.True(with.SelectedPixels < without.SelectedPixels);
    }

    [Fact]
    public void Segment_BoxAroundTheCrema_SelectsTheCremaAndNothingBeyondTheMargin()
    {
        var box = new PixelRect(205, 95, 370, 195);
        PatchFeatures features = _dino.Extract(TestPaths.Image("coffee.png"));

        SegmentationResult r = _dino.Segmenter.Segment(features, new SegmentationPrompt(box), _dino.DefaultThreshold);

        AssertSelected(r, (290, 150), (250, 130), (330, 165));
        PixelRect limit = r.BoxLimit!.Value;
        Assert.Equal(new PixelRect(188, 85, 387, 205), limit);
        for (int i = 0; i < r.Mask.Length; i++)
        {
            if (r.Mask[i] != 0) Assert.True(limit.Contains(new PixelPoint(i % r.Width, i / r.Width)), $"({i % r.Width},{i / r.Width}) is selected");
        }

        Assert.InRange(r.SelectedPixels, box.Width * box.Height / 4, limit.Width * limit.Height);
    }

    private static void AssertSelected(SegmentationResult r, params (int X, int Y)[] points)
    {
        foreach (var (x, y) in points) Assert.True(r.Mask[y * r.Width + x] == 255, $"({x},{y}) should be selected; similarity {r.Similarity[y * r.Width + x]:F3}, threshold {r.Threshold}");
    }

    private static void AssertNotSelected(SegmentationResult r, params (int X, int Y)[] points)
    {
        foreach (var (x, y) in points) Assert.True(r.Mask[y * r.Width + x] == 0, $"({x},{y}) should not be selected; similarity {r.Similarity[y * r.Width + x]:F3}, threshold {r.Threshold}");
    }
}
