using DinoSeg.Rendering;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Tests.Rendering;

public sealed class ViewWriterTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "dinoseg-viewwriter-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void SaveAll_SyntheticScene_WritesSixPngsWithTheirPixelFormats()
    {
        // Arrange
        SegmentationResult result = SyntheticScene.Result();
        using Image<Rgb24> photo = SyntheticScene.Photo();
        string dir = Path.Combine(_root, "views", "nested");

        // Act
        IReadOnlyList<string> written = ViewWriter.SaveAll(photo, result, dir);

        // Assert
        Assert.Equal(ViewWriter.FileNames.Select(n => Path.Combine(dir, n)), written);
        Assert.Equal(ViewWriter.FileNames.Order(), Directory.GetFiles(dir).Select(Path.GetFileName).Order());
        Assert.Equal(["mask.png", "soft-mask.png", "similarity.png", "overlay.png", "cutout.png", "panel.png"], ViewWriter.FileNames);
        AssertPng(dir, "mask.png", 8, PngColorType.Grayscale, (SyntheticScene.Width, SyntheticScene.Height));
        AssertPng(dir, "soft-mask.png", 8, PngColorType.Grayscale, (SyntheticScene.Width, SyntheticScene.Height));
        AssertPng(dir, "similarity.png", 24, PngColorType.Rgb, null);
        AssertPng(dir, "overlay.png", 24, PngColorType.Rgb, (SyntheticScene.Width, SyntheticScene.Height));
        AssertPng(dir, "cutout.png", 32, PngColorType.RgbWithAlpha, (SyntheticScene.Width, SyntheticScene.Height));
        AssertPng(dir, "panel.png", 24, PngColorType.Rgb, null);

        using var mask = Image.Load<L8>(Path.Combine(dir, "mask.png"));
        var pixels = new byte[mask.Width * mask.Height];
        mask.CopyPixelDataTo(pixels);
        Assert.Equal(result.Mask.ToArray(), pixels);

        using var cutout = Image.Load<Rgba32>(Path.Combine(dir, "cutout.png"));
        using Image<Rgba32> expected = Renderer.Cutout(photo, result);
        Assert.Equal(expected[SyntheticScene.Seed.X, SyntheticScene.Seed.Y], cutout[SyntheticScene.Seed.X, SyntheticScene.Seed.Y]);
        Assert.Equal(0, cutout[SyntheticScene.Width - 2, SyntheticScene.Height - 2].A);
    }

    [Fact]
    public void SaveAll_ImageOfOtherSize_ThrowsBeforeCreatingTheDirectory()
    {
        // Arrange
        SegmentationResult result = SyntheticScene.Result();
        using Image<Rgb24> photo = SyntheticScene.Photo(10, 10);
        string dir = Path.Combine(_root, "never");

        // Act
        var ex = Assert.Throws<ArgumentException>(() => ViewWriter.SaveAll(photo, result, dir));

        // Assert
        Assert.Equal("image", ex.ParamName);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void SavePng_ExistingFile_IsReplacedAndNoTempFileRemains()
    {
        // Arrange
        string path = Path.Combine(_root, "out.png");
        using var first = new Image<L8>(4, 3, new L8(10));
        using var second = new Image<L8>(5, 2, new L8(200));
        ViewWriter.SavePng(first, path);

        // Act
        ViewWriter.SavePng(second, path);

        // Assert
        Assert.Equal(["out.png"], Directory.GetFiles(_root).Select(Path.GetFileName));
        using var back = Image.Load<L8>(path);
        Assert.Equal((5, 2), (back.Width, back.Height));
        Assert.Equal(new L8(200), back[4, 1]);
    }

    [Fact]
    public void SavePng_MissingDirectory_IsCreated()
    {
        // Arrange
        string path = Path.Combine(_root, "a", "b", "c.png");
        using var image = new Image<Rgb24>(2, 2, new Rgb24(1, 2, 3));

        // Act
        ViewWriter.SavePng(image, path);

        // Assert
        Assert.True(File.Exists(path));
        Assert.Equal(24, Image.Identify(path).PixelType.BitsPerPixel);
    }

    [Fact]
    public void SavePng_TargetIsADirectory_ThrowsAndLeavesNoTempFile()
    {
        // Arrange: renaming the finished temporary file onto a directory fails after the PNG was fully written.
        string path = Path.Combine(_root, "taken.png");
        Directory.CreateDirectory(path);
        using var image = new Image<Rgb24>(2, 2);

        // Act
        var ex = Record.Exception(() => ViewWriter.SavePng(image, path));

        // Assert
        Assert.True(ex is IOException or UnauthorizedAccessException, ex?.ToString() ?? "no exception");
        Assert.Empty(Directory.GetFiles(_root));
        Assert.True(Directory.Exists(path));
    }

    [Fact]
    public void SavePng_FailedWrite_LeavesTheOldFileIntact()
    {
        // Arrange: a disposed image fails while encoding, after the temporary file was opened.
        string path = Path.Combine(_root, "keep.png");
        using (var original = new Image<L8>(3, 3, new L8(77))) ViewWriter.SavePng(original, path);
        var broken = new Image<L8>(3, 3);
        broken.Dispose();

        // Act
        var ex = Record.Exception(() => ViewWriter.SavePng(broken, path));

        // Assert
        Assert.NotNull(ex);
        Assert.Equal(["keep.png"], Directory.GetFiles(_root).Select(Path.GetFileName));
        using var back = Image.Load<L8>(path);
        Assert.Equal(new L8(77), back[1, 1]);
    }

    [Fact]
    public void SavePng_BadArguments_Throw()
    {
        // Arrange
        using var image = new Image<L8>(1, 1);

        // Act / Assert
        Assert.Throws<ArgumentNullException>(() => ViewWriter.SavePng(null!, Path.Combine(_root, "x.png")));
        Assert.ThrowsAny<ArgumentException>(() => ViewWriter.SavePng(image, " "));
    }

    [Fact]
    public void Views_NamesParseBackAndRenderLikeTheirOwnMethods()
    {
        SegmentationResult result = SyntheticScene.Result();
        using Image<Rgb24> photo = SyntheticScene.Photo();
        foreach (SegmentationView view in Enum.GetValues<SegmentationView>())
        {
            string file = ViewWriter.FileName(view);
            Assert.Equal(ViewWriter.FileNames[(int)view], file);
            Assert.True(ViewWriter.TryParseView(file, out SegmentationView parsed) && parsed == view, file);
            Assert.True(ViewWriter.TryParseView(file[..^4], out parsed) && parsed == view, file);
        }

        Assert.False(ViewWriter.TryParseView("Mask.png", out _));
        Assert.False(ViewWriter.TryParseView("masks", out _));
        Assert.False(ViewWriter.TryParseView(null, out _));
        Assert.Throws<ArgumentOutOfRangeException>("view", () => ViewWriter.FileName((SegmentationView)99));
        Assert.Throws<ArgumentOutOfRangeException>("view", () => Renderer.Render((SegmentationView)99, photo, result));

        using var mask = (Image<L8>)Renderer.Render(SegmentationView.Mask, photo, result);
        using Image<L8> expectedMask = Renderer.Mask(result);
        Assert.Equal(PixelsOf(expectedMask), PixelsOf(mask));
        using var cutout = (Image<Rgba32>)Renderer.Render(SegmentationView.Cutout, photo, result);
        using Image<Rgba32> expectedCutout = Renderer.Cutout(photo, result);
        Assert.Equal(PixelsOf(expectedCutout), PixelsOf(cutout));
    }

    private static TPixel[] PixelsOf<TPixel>(Image<TPixel> image)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        var pixels = new TPixel[image.Width * image.Height];
        image.CopyPixelDataTo(pixels);
        return pixels;
    }

    private static void AssertPng(string dir, string name, int bitsPerPixel, PngColorType colorType, (int, int)? size)
    {
        IImageInfo info = Image.Identify(Path.Combine(dir, name));
        Assert.Equal(bitsPerPixel, info.PixelType.BitsPerPixel);
        Assert.Equal(colorType, info.Metadata.GetPngMetadata().ColorType);
        Assert.Equal(PngBitDepth.Bit8, info.Metadata.GetPngMetadata().BitDepth);
        if (size is { } expected) Assert.Equal(expected, (info.Width, info.Height));
    }
}
