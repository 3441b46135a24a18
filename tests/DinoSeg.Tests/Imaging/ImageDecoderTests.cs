using DinoSeg.Tests.Shared;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Tests.Imaging;

public sealed class ImageDecoderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dinoseg-decoder-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("chelsea.png", 451, 300)]
    [InlineData("rocket.jpg", 640, 427)]
    public void Load_RealPhoto_DecodesAtFullSize(string name, int width, int height)
    {
        using var image = ImageDecoder.Load(TestPaths.Image(name));

        Assert.Equal((width, height), (image.Width, image.Height));
    }

    [Fact]
    public void Load_DecoderNeedingMoreThanTheBufferLimit_ThrowsImageExceptionNamingTheLimit()
    {
        // 1200 x 1000 RGB needs a 3.4 MiB pixel buffer: within the pixel limit, over a 1 MiB buffer limit.
        string path = Path.Combine(_dir, "big.png");
        using (var big = new Image<Rgb24>(1200, 1000)) big.SaveAsPng(path);

        var e = Assert.Throws<DinoSegImageException>(() => ImageDecoder.Load(path, new ImageLimits { MaxBufferMegabytes = 1 }));

        Assert.Contains("1 MiB per buffer", e.Expected);
        Assert.Contains("MaxBufferMegabytes", e.Fix);
        using var image = ImageDecoder.Load(path, new ImageLimits { MaxBufferMegabytes = 8 });
        Assert.Equal(1200, image.Width);
    }

    [Theory]
    [InlineData(100_000_000L, 1525)] // the default: 16 B per pixel
    [InlineData(1_000L, 64)]         // small pixel limits still leave decoders their working room
    [InlineData(1_000_000_000L, 4096)]
    public void BufferLimit_DerivesFromThePixelLimit(long maxPixels, int megabytes)
    {
        Assert.Equal(megabytes, new ImageLimits { MaxPixels = maxPixels }.BufferLimitMegabytes);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageLimits { MaxBufferMegabytes = 0 });
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => ImageDecoder.Load(Path.Combine(_dir, "nope.png")));
    }

    [Fact]
    public void Load_EmptyFile_ThrowsImageExceptionSayingEmpty()
    {
        string path = Write("empty.png", []);

        var e = Assert.Throws<DinoSegImageException>(() => ImageDecoder.Load(path));

        Assert.Contains("empty", e.Found);
    }

    [Fact]
    public void Load_TextFile_ThrowsImageExceptionSayingUnsupportedFormat()
    {
        string path = Write("notes.jpg", "hello, not an image"u8.ToArray());

        var e = Assert.Throws<DinoSegImageException>(() => ImageDecoder.Load(path));

        Assert.Contains("no supported image format", e.Found);
    }

    [Fact]
    public void Load_TruncatedPng_ThrowsImageException()
    {
        byte[] png = File.ReadAllBytes(TestPaths.Image("chelsea.png"));
        string path = Write("cut.png", png[..(png.Length / 3)]);

        Assert.Throws<DinoSegImageException>(() => ImageDecoder.Load(path));
    }

    [Fact]
    public void Load_TruncatedJpeg_ThrowsImageExceptionSayingCutShort()
    {
        byte[] jpeg = File.ReadAllBytes(TestPaths.Image("rocket.jpg"));
        string path = Write("cut.jpg", jpeg[..(jpeg.Length / 2)]);

        var e = Assert.Throws<DinoSegImageException>(() => ImageDecoder.Load(path));

        Assert.Contains("cut short", e.Found);
    }

    [Fact]
    public void Load_HeaderClaimingTenGigapixels_IsRefusedBeforeDecoding()
    {
        string path = Write("huge.png", HostileFiles.PngHeaderOnly(100_000, 100_000));

        var e = Assert.Throws<DinoSegImageException>(() => ImageDecoder.Load(path));

        Assert.Contains("100000x100000", e.Found);
        Assert.Contains("MaxPixels", e.Fix);
    }

    [Fact]
    public void Load_OverCustomPixelLimit_IsRefused()
    {
        Assert.Throws<DinoSegImageException>(() => ImageDecoder.Load(TestPaths.Image("chelsea.png"), new ImageLimits { MaxPixels = 1000 }));
    }

    [Fact]
    public void Load_OverByteLimit_IsRefused()
    {
        var e = Assert.Throws<DinoSegImageException>(() => ImageDecoder.Load(TestPaths.Image("chelsea.png"), new ImageLimits { MaxBytes = 1000 }));

        Assert.Contains("MaxBytes", e.Fix);
    }

    [Fact]
    public void Load_ExifRotated90_IsTurnedUpright()
    {
        string path = Path.Combine(_dir, "rotated.jpg");
        using (var image = new Image<Rgb24>(40, 20))
        {
            image.Metadata.ExifProfile = new ExifProfile();
            image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6); // "rotate 90° clockwise to view"
            image.SaveAsJpeg(path);
        }

        using var loaded = ImageDecoder.Load(path);

        Assert.Equal((20, 40), (loaded.Width, loaded.Height));
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void FileExtensions_NameEveryDecodedFormat_LowerCaseWithTheDot()
    {
        Assert.Subset(ImageDecoder.FileExtensions.ToHashSet(), new HashSet<string> { ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga", ".tif", ".tiff", ".webp", ".pbm" });
        Assert.All(ImageDecoder.FileExtensions, e => Assert.Matches("^\\.[a-z0-9]+$", e));
        Assert.Equal(ImageDecoder.FileExtensions.Distinct().Count(), ImageDecoder.FileExtensions.Count);
        Assert.True(ImageDecoder.HasImageExtension("/photos/IMG_0001.JPG"));
        Assert.False(ImageDecoder.HasImageExtension("notes.txt"));
        Assert.False(ImageDecoder.HasImageExtension("png"));
    }

    [Fact]
    public void FormatNames_NameEachDecodedFormatOnce()
    {
        // "PNG, JPEG, …, WebP or PBM": every name is a decoded format's extension, and no decoded format goes unnamed.
        string[] names = ImageDecoder.FormatNames.Replace(" or ", ", ", StringComparison.Ordinal).Split(", ");
        Assert.All(names, name => Assert.Contains("." + name.ToLowerInvariant(), ImageDecoder.FileExtensions));
        Assert.Equal(names.Length, names.Distinct().Count());
        Assert.Equal(SixLabors.ImageSharp.Configuration.Default.ImageFormats.Count(), names.Length);
    }
}
