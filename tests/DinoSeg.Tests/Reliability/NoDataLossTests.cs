using DinoSeg.Rendering;
using DinoSeg.Tests.Rendering;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Tests.Reliability;

/// <summary>A write that fails part-way leaves every previous file byte for byte as it was, and no temporary file behind.</summary>
public sealed class NoDataLossTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dinoseg-nodataloss-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Dictionary<string, byte[]> Snapshot() =>
        Directory.GetFiles(_dir).ToDictionary(path => Path.GetFileName(path), File.ReadAllBytes, StringComparer.Ordinal);

    [Theory]
    [InlineData("mask.png")]
    [InlineData("overlay.png")]
    [InlineData("panel.png")]
    public void SaveAll_RendererFailsPartWay_PreviousViewsUntouchedAndNoTemporaryFiles(string failingView)
    {
        // Arrange: a complete earlier set from another threshold, so new files would differ from the old ones.
        using Image<Rgb24> photo = SyntheticScene.Photo();
        ViewWriter.SaveAll(photo, SyntheticScene.Result(threshold: 0.9f), _dir);
        var before = Snapshot();

        // Act
        var e = Assert.Throws<IOException>(() => ViewWriter.SaveAll(photo, SyntheticScene.Result(), _dir,
            name => { if (name == failingView) throw new IOException("disk full (simulated)"); }));

        // Assert
        Assert.Equal("disk full (simulated)", e.Message);
        var after = Snapshot();
        Assert.Equal(before.Keys.Order(), after.Keys.Order()); // no *.tmp left behind
        foreach (var (name, bytes) in before) Assert.True(bytes.AsSpan().SequenceEqual(after[name]), $"{name} changed");
    }

    [Fact]
    public void SaveAll_RendererFailsIntoEmptyDirectory_LeavesItEmpty()
    {
        using Image<Rgb24> photo = SyntheticScene.Photo();

        Assert.Throws<InvalidOperationException>(() => ViewWriter.SaveAll(photo, SyntheticScene.Result(), _dir,
            name => { if (name == ViewWriter.CutoutFile) throw new InvalidOperationException("renderer bug (simulated)"); }));

        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void SaveAll_DirectoryWhereAViewGoes_ThrowsBeforeWritingAnything()
    {
        // Arrange: an old mask, and a directory squatting on the panel's name.
        using Image<Rgb24> photo = SyntheticScene.Photo();
        using (var oldMask = new Image<L8>(3, 3, new L8(9))) ViewWriter.SavePng(oldMask, Path.Combine(_dir, ViewWriter.MaskFile));
        Directory.CreateDirectory(Path.Combine(_dir, ViewWriter.PanelFile));
        var before = Snapshot();

        // Act
        var e = Assert.Throws<IOException>(() => ViewWriter.SaveAll(photo, SyntheticScene.Result(), _dir));

        // Assert
        Assert.Contains(ViewWriter.PanelFile, e.Message);
        Assert.Equal(before.Keys, Snapshot().Keys);
        Assert.Equal(before[ViewWriter.MaskFile], File.ReadAllBytes(Path.Combine(_dir, ViewWriter.MaskFile)));
    }

    [Fact]
    public void SaveAll_Success_ReplacesEveryViewAndLeavesOnlyTheViews()
    {
        using Image<Rgb24> photo = SyntheticScene.Photo();
        ViewWriter.SaveAll(photo, SyntheticScene.Result(threshold: 0.9f), _dir);
        var before = Snapshot();

        ViewWriter.SaveAll(photo, SyntheticScene.Result(), _dir);

        var after = Snapshot();
        Assert.Equal(ViewWriter.FileNames.Order(), after.Keys.Order());
        Assert.False(before[ViewWriter.MaskFile].AsSpan().SequenceEqual(after[ViewWriter.MaskFile]));
    }
}
