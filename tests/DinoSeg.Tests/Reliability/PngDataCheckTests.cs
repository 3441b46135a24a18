using System.Buffers.Binary;
using DinoSeg.Tests.Shared;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace DinoSeg.Tests.Reliability;

/// <summary>PNGs whose pixel data is shorter than their header declares are refused before decoding; whole ones never are.</summary>
public sealed class PngDataCheckTests
{
    // Decoded once: every case only needs a small resize of it.
    private static readonly Lazy<Image<Rgb24>> Chelsea = new(() => Image.Load<Rgb24>(TestPaths.Image("chelsea.png")));

    private static byte[] SmallPng(PngEncoder encoder, int width = 48, int height = 32)
    {
        using var photo = Chelsea.Value.Clone(c => c.Resize(width, height));
        using var stream = new MemoryStream();
        photo.Save(stream, encoder);
        return stream.ToArray();
    }

    public static TheoryData<PngColorType, PngBitDepth, PngInterlaceMode> Variants => new()
    {
        { PngColorType.Rgb, PngBitDepth.Bit8, PngInterlaceMode.None },
        { PngColorType.Rgb, PngBitDepth.Bit16, PngInterlaceMode.Adam7 },
        { PngColorType.RgbWithAlpha, PngBitDepth.Bit8, PngInterlaceMode.Adam7 },
        { PngColorType.Palette, PngBitDepth.Bit8, PngInterlaceMode.None },
        { PngColorType.Palette, PngBitDepth.Bit4, PngInterlaceMode.Adam7 },
        { PngColorType.Grayscale, PngBitDepth.Bit1, PngInterlaceMode.None },
        { PngColorType.Grayscale, PngBitDepth.Bit2, PngInterlaceMode.Adam7 },
        { PngColorType.GrayscaleWithAlpha, PngBitDepth.Bit16, PngInterlaceMode.None },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void Load_WholePngOfAnyLayout_PassesTheCheckAndDecodes(PngColorType colour, PngBitDepth depth, PngInterlaceMode interlace)
    {
        // Odd sizes leave partial bytes per row and empty Adam7 passes.
        byte[] png = SmallPng(new PngEncoder { ColorType = colour, BitDepth = depth, InterlaceMethod = interlace }, 13, 5);

        using var image = ImageDecoder.Load(new MemoryStream(png));

        Assert.Equal((13, 5), (image.Width, image.Height));
    }

    [Fact]
    public void Load_InterlacedPngClaimingAWiderImage_IsRefusedQuickly()
    {
        // Arrange: the case that made ImageSharp 2.1.13 spin for minutes (found by DecoderFuzzTests).
        byte[] png = SmallPng(new PngEncoder { ColorType = PngColorType.Rgb, InterlaceMethod = PngInterlaceMode.Adam7 });
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), 65535);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), HostileFiles.Crc32(png.AsSpan(12, 17)));
        Exception? error = null;

        // Act, on a thread of its own so a regression fails instead of hanging the run.
        var thread = new Thread(() => error = Record.Exception(() => ImageDecoder.Load(new MemoryStream(png)).Dispose())) { IsBackground = true };
        thread.Start();
        bool finished = thread.Join(TimeSpan.FromSeconds(10));

        // Assert
        Assert.True(finished, "decoding did not finish within 10 s");
        var e = Assert.IsType<DinoSegImageException>(error);
        Assert.StartsWith("PNG pixel data", e.Expected);
        Assert.Contains("65535x32", e.Found);
    }

    [Fact]
    public void Load_PngCutInTheMiddleWithItsEndPutBack_IsRefused()
    {
        byte[] png = File.ReadAllBytes(TestPaths.Image("chelsea.png"));
        byte[] cut = [.. png.AsSpan(0, png.Length / 2), .. png.AsSpan(png.Length - 12)]; // IEND kept

        var e = Assert.Throws<DinoSegImageException>(() => ImageDecoder.Load(new MemoryStream(cut)));

        Assert.Contains("cut short or a false size", e.Found);
    }
}
