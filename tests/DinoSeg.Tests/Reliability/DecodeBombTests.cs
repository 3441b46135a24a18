using System.Buffers.Binary;
using System.Diagnostics;
using DinoSeg.Tests.Shared;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace DinoSeg.Tests.Reliability;

/// <summary>
/// Files that are tiny on disk but huge to decode (issue #18): many-frame GIFs and many-page TIFFs whose every frame is
/// within the limits, and PNGs whose text chunks inflate to gigabytes. Each is built here, in memory. Only the first frame
/// may be decoded and PNG text is never inflated, so each costs what its first frame costs. The memory figures are process
/// wide, so these run in the isolated collection.
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed class DecodeBombTests(ITestOutputHelper output)
{
    private const long MiB = 1 << 20;

    [Fact]
    public void Load_GifWithFortyFramesOnA4096Screen_DecodesOnlyTheFirstFrame()
    {
        byte[] gif = HostileFiles.GifManyFrames(4096, 40); // every frame alone: 4096² RGBA = 64 MiB

        var (image, growth, took) = Measure(() => ImageDecoder.Load(new MemoryStream(gif)));

        using (image)
        {
            output.WriteLine($"{gif.Length} bytes: {took.TotalMilliseconds:0} ms, working set +{growth / MiB} MiB");
            Assert.Equal((4096, 4096, 1), (image.Width, image.Height, image.Frames.Count));
            Assert.True(growth < 400 * MiB, $"decoding grew the working set by {growth / MiB} MiB (all 40 frames would be 2.5 GiB)");
        }
    }

    [Fact]
    public void Load_TiffWithFortyPagesOf4096Squared_DecodesOnlyTheFirstPage()
    {
        byte[] tiff = HostileFiles.TiffPages(Enumerable.Repeat((4096, 4096), 40).ToArray());

        var (image, growth, took) = Measure(() => ImageDecoder.Load(new MemoryStream(tiff)));

        using (image)
        {
            output.WriteLine($"{tiff.Length} bytes: {took.TotalMilliseconds:0} ms, working set +{growth / MiB} MiB");
            Assert.Equal((4096, 4096, 1), (image.Width, image.Height, image.Frames.Count));
            Assert.True(growth < 400 * MiB, $"decoding grew the working set by {growth / MiB} MiB (all 40 pages would be 1.9 GiB)");
        }
    }

    [Fact]
    public void Load_TiffWithATinyFirstPageAndAHugeSecond_NeverTouchesTheSecond()
    {
        byte[] tiff = HostileFiles.TiffPages((1, 1), (9000, 9000));

        var (image, growth, took) = Measure(() => ImageDecoder.Load(new MemoryStream(tiff)));

        using (image)
        {
            output.WriteLine($"{tiff.Length} bytes: {took.TotalMilliseconds:0} ms, working set +{growth / MiB} MiB");
            Assert.Equal((1, 1), (image.Width, image.Height));
            Assert.True(growth < 100 * MiB, $"decoding grew the working set by {growth / MiB} MiB (the second page alone is 232 MiB)");
        }
    }

    [Fact]
    public void Load_TiffWhoseFirstPageIsOverThePixelLimit_IsRefusedFromTheHeader()
    {
        byte[] tiff = HostileFiles.TiffPages((3000, 3000), (1, 1));

        var e = Assert.Throws<DinoSegImageException>(() => ImageDecoder.Load(new MemoryStream(tiff), new ImageLimits { MaxPixels = 1_000_000 }));

        Assert.Contains("3000x3000", e.Found);
    }

    [Fact]
    public void LoadAndIdentify_PngWithEightZtxtChunksOf64MiB_InflateNoText()
    {
        byte[] png = HostileFiles.PngTextBomb(8, 64 * MiB); // about 0.5 MB; 512 MiB of text if inflated

        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        ImageHeader? header = ImageDecoder.Identify(new MemoryStream(png));
        using var image = ImageDecoder.Load(new MemoryStream(png));
        clock.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        output.WriteLine($"{png.Length} bytes: identify + load {clock.ElapsedMilliseconds} ms, {allocated / 1024} KiB allocated");
        Assert.Equal(new ImageHeader("PNG", 8, 8), header);
        Assert.Equal((8, 8), (image.Width, image.Height));
        Assert.True(allocated < 16 * MiB, $"{allocated / MiB} MiB allocated: the text was inflated");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public void Load_PngWithOneZtxtChunkOf1GiB_DecodesWithoutInflatingIt()
    {
        byte[] png = HostileFiles.PngTextBomb(1, 1L << 30);

        long before = GC.GetAllocatedBytesForCurrentThread();
        using var image = ImageDecoder.Load(new MemoryStream(png));

        Assert.Equal((8, 8), (image.Width, image.Height));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 * MiB);
    }

    [Fact]
    public void Load_PngWithAnExifOrientation_IsStillTurnedUpright()
    {
        // The PNG decoder skips metadata now; the eXIf chunk is read on its own for the orientation.
        using var source = new Image<Rgb24>(40, 20);
        source.Metadata.ExifProfile = new SixLabors.ImageSharp.Metadata.Profiles.Exif.ExifProfile();
        source.Metadata.ExifProfile.SetValue(SixLabors.ImageSharp.Metadata.Profiles.Exif.ExifTag.Orientation, (ushort)6);
        using var png = new MemoryStream();
        source.SaveAsPng(png);
        png.Position = 0;

        using var image = ImageDecoder.Load(png);

        Assert.Equal((20, 40), (image.Width, image.Height));
    }

    [Fact]
    public void Load_AnimatedWebp_KeepsTheFirstFrameOnItsCanvas()
    {
        byte[] webp = AnimatedWebp(canvas: (32, 16), (new Rgb24(255, 0, 0), 16, 8, 4, 2), (new Rgb24(0, 255, 0), 32, 16, 0, 0));

        using var image = ImageDecoder.Load(new MemoryStream(webp));

        Assert.Equal((32, 16), (image.Width, image.Height));
        Assert.Equal(new Rgb24(255, 0, 0), image[4 + 3, 2 + 3]);
        Assert.Equal(new Rgb24(255, 0, 0), image[4 + 15, 2 + 7]);
        Assert.Equal(new Rgb24(0, 0, 0), image[0, 0]);
        Assert.Equal(new Rgb24(0, 0, 0), image[31, 15]);
    }

    [Fact]
    public void Load_AnimatedWebpWithAFullCanvasFirstFrame_IsThatFrame()
    {
        byte[] webp = AnimatedWebp(canvas: (24, 12), (new Rgb24(0, 0, 255), 24, 12, 0, 0), (new Rgb24(0, 255, 0), 24, 12, 0, 0));

        using var image = ImageDecoder.Load(new MemoryStream(webp));

        Assert.Equal((24, 12), (image.Width, image.Height));
        Assert.Equal(new Rgb24(0, 0, 255), image[11, 6]);
    }

    /// <summary>Runs <paramref name="decode"/> while a sampler records the working set; returns the peak growth.</summary>
    private static (Image<Rgb24> Image, long Growth, TimeSpan Took) Measure(Func<Image<Rgb24>> decode)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        long baseline = process.WorkingSet64, peak = baseline;
        bool done = false;
        var sampler = new Thread(() =>
        {
            using var self = Process.GetCurrentProcess();
            while (!Volatile.Read(ref done))
            {
                self.Refresh();
                peak = Math.Max(peak, self.WorkingSet64);
                Thread.Sleep(2);
            }
        })
        { IsBackground = true };
        sampler.Start();
        var clock = Stopwatch.StartNew();
        try
        {
            Image<Rgb24> image = decode();
            return (image, Math.Max(0, Volatile.Read(ref peak) - baseline), clock.Elapsed);
        }
        finally
        {
            Volatile.Write(ref done, true);
            sampler.Join();
        }
    }

    /// <summary>An animated WebP (VP8X + ANIM + one ANMF per frame) of single-colour lossless frames.</summary>
    private static byte[] AnimatedWebp((int Width, int Height) canvas, params (Rgb24 Colour, int Width, int Height, int X, int Y)[] frames)
    {
        using var file = new MemoryStream();
        file.Write("RIFF\0\0\0\0WEBP"u8);
        byte[] vp8x = new byte[10];
        vp8x[0] = 0x02; // animation
        WriteUInt24(vp8x, 4, canvas.Width - 1);
        WriteUInt24(vp8x, 7, canvas.Height - 1);
        Chunk(file, "VP8X", vp8x);
        Chunk(file, "ANIM", [0, 0, 0, 0, 0, 0]);
        foreach (var (colour, width, height, x, y) in frames)
        {
            using var frame = new Image<Rgb24>(width, height, colour);
            using var still = new MemoryStream();
            frame.Save(still, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless });
            byte[] bytes = still.ToArray();
            Assert.Equal("VP8L", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
            byte[] anmf = new byte[16 + bytes.Length - 12];
            WriteUInt24(anmf, 0, x / 2);
            WriteUInt24(anmf, 3, y / 2);
            WriteUInt24(anmf, 6, width - 1);
            WriteUInt24(anmf, 9, height - 1);
            WriteUInt24(anmf, 12, 100);
            bytes.AsSpan(12).CopyTo(anmf.AsSpan(16));
            Chunk(file, "ANMF", anmf);
        }

        byte[] result = file.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(4), (uint)(result.Length - 8));
        return result;
    }

    private static void Chunk(Stream file, string fourCc, byte[] data)
    {
        file.Write(System.Text.Encoding.ASCII.GetBytes(fourCc));
        Span<byte> size = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(size, (uint)data.Length);
        file.Write(size);
        file.Write(data);
        if ((data.Length & 1) != 0) file.WriteByte(0);
    }

    private static void WriteUInt24(byte[] bytes, int at, int value)
    {
        bytes[at] = (byte)value;
        bytes[at + 1] = (byte)(value >> 8);
        bytes[at + 2] = (byte)(value >> 16);
    }
}
