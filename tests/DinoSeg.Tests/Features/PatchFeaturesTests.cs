namespace DinoSeg.Tests.Features;

public sealed class PatchFeaturesTests
{
    [Fact]
    public void FromVectors_NormalisesEveryVector_AndKeepsTheCallersArrayUntouched()
    {
        float[] raw = [3, 4, 0, 0, 0, 5, 1, 1, 1, 1, 1, 1];

        PatchFeatures f = PatchFeatures.FromVectors(raw, rows: 2, cols: 2, dim: 3, patchSize: 16, 32, 32, 64, 64, "test");

        Assert.Equal([0.6f, 0.8f, 0f], f.GetPatch(0, 0).ToArray());
        Assert.Equal([0f, 0f, 1f], f.GetPatch(0, 1).ToArray());
        Assert.Equal(3f, raw[0]);
    }

    [Fact]
    public void FromVectors_CentreChannels_SubtractsTheImageMeanFirst()
    {
        float[] raw = [2, 1, 0, 1];

        PatchFeatures f = PatchFeatures.FromVectors(raw, 1, 2, 2, 16, 32, 16, 32, 16, "test", centreChannels: true);

        Assert.Equal([1f, 0f], f.GetPatch(0, 0).ToArray()); // (2,1) - (1,1)
        Assert.Equal([-1f, 0f], f.GetPatch(0, 1).ToArray()); // (0,1) - (1,1)
    }

    [Fact]
    public void FromVectors_NaN_ThrowsModelExceptionNamingThePatch()
    {
        float[] raw = [1, 0, 0, float.NaN];

        var e = Assert.Throws<DinoSegModelException>(() => PatchFeatures.FromVectors(raw, 1, 2, 2, 16, 32, 16, 32, 16, "test"));

        Assert.Contains("patch 1, channel 1", e.Found);
    }

    [Fact]
    public void FromVectors_SizeMismatch_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => PatchFeatures.FromVectors(new float[5], 1, 2, 2, 16, 32, 16, 32, 16, "test"));
        Assert.Throws<ArgumentException>(() => PatchFeatures.FromVectors(new float[4], 1, 2, 2, 16, 48, 16, 32, 16, "test"));
    }

    [Theory]
    [InlineData(0, 0, 0, 0)]
    [InlineData(99, 49, 2, 4)]   // last pixel → last patch
    [InlineData(19, 9, 0, 0)]    // 19.5 px * 80/100 = 15.6 → patch 0
    [InlineData(20, 10, 0, 1)]   // 20.5 * 0.8 = 16.4 → patch 1
    public void PatchAt_MapsOriginalPixelsThroughTheWorkingSize(int x, int y, int row, int col)
    {
        var grid = new PatchGrid(ImageWidth: 100, ImageHeight: 50, WorkingWidth: 80, WorkingHeight: 48, PatchSize: 16);

        Assert.Equal((row, col), grid.PatchAt(new PixelPoint(x, y)));
    }

    [Theory]
    [InlineData(-1, 0)]
    [InlineData(0, -1)]
    [InlineData(100, 0)]
    [InlineData(0, 50)]
    public void PatchAt_OutsideTheImage_ThrowsNamingThePoint(int x, int y)
    {
        var grid = new PatchGrid(100, 50, 80, 48, 16);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => grid.PatchAt(new PixelPoint(x, y)));

        Assert.Equal("point", e.ParamName);
    }

    [Fact]
    public void PatchBounds_TileTheImage()
    {
        var grid = new PatchGrid(100, 50, 80, 48, 16);

        Assert.Equal((0, 0, 20, 17), grid.PatchBounds(0, 0));
        Assert.Equal((80, 33, 100, 50), grid.PatchBounds(2, 4));
    }
}
