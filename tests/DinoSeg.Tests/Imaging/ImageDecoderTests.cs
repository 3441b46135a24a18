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
}
