using DinoSeg.Rendering;
using DinoSeg.Tests.Shared;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;
using DinoSeg.Tests.Segmentation;

namespace DinoSeg.Tests.Imaging;

/// <summary>
/// Inputs and outputs with no ImageSharp type: files, streams that cannot seek, encoded bytes, raw pixel buffers of four
/// layouts with any stride, and views drawn into raw buffers and streams. Each is checked against the ImageSharp path.
/// </summary>
public sealed class DecodedImageTests
{
    private static readonly string Photo = TestPaths.Image("chelsea.png");

    [Theory]
    [InlineData(PixelLayout.Rgb24, 0)]
    [InlineData(PixelLayout.Bgr24, 0)]
    [InlineData(PixelLayout.Rgba32, 0)]
    [InlineData(PixelLayout.Bgra32, 0)]
    [InlineData(PixelLayout.Bgr24, 7)] // OpenCV-style row padding
    [InlineData(PixelLayout.Bgra32, 64)] // SkiaSharp RowBytes wider than width × 4
    public void FromPixels_AnyLayoutAndStride_GivesTheDecodedPixels(PixelLayout layout, int padding)
    {
        using var decoded = DecodedImage.Load(Photo);
        int bpp = layout is PixelLayout.Rgb24 or PixelLayout.Bgr24 ? 3 : 4;
        int stride = decoded.Width * bpp + padding;
        // The last row carries only its pixels, as an OpenCV Mat or SkiaSharp bitmap of that stride may end.
        var buffer = new byte[stride * (decoded.Height - 1) + decoded.Width * bpp];
        decoded.CopyPixelsTo(buffer, layout, stride);

        using var copy = DecodedImage.FromPixels(buffer, decoded.Width, decoded.Height, layout, stride);

        using Image<Rgb24> expected = ImageDecoder.Load(Photo);
        Assert.Equal((expected.Width, expected.Height), (copy.Width, copy.Height));
        AssertSamePixels(expected, copy.Image);
    }

    [Fact]
    public void CopyPixelsTo_Bgra32_WritesBlueGreenRedAndOpaqueAlpha()
    {
        using var image = DecodedImage.FromPixels([10, 20, 30, 40, 50, 60], 2, 1, PixelLayout.Rgb24);
        var bgra = new byte[8];

        image.CopyPixelsTo(bgra, PixelLayout.Bgra32);

        Assert.Equal([30, 20, 10, 255, 60, 50, 40, 255], bgra);
    }

    [Fact]
    public void FromPixels_BufferTooShortOrStrideTooSmall_ThrowsNamingWhatIsNeeded()
    {
        var e = Assert.Throws<ArgumentException>(() => DecodedImage.FromPixels(new byte[100], 10, 10, PixelLayout.Rgb24));
        Assert.Equal("pixels", e.ParamName);
        Assert.Contains("needs at least 300 bytes; found 100", e.Message, StringComparison.Ordinal);

        var s = Assert.Throws<ArgumentOutOfRangeException>(() => DecodedImage.FromPixels(new byte[400], 10, 10, PixelLayout.Bgra32, stride: 39));
        Assert.Equal("stride", s.ParamName);
        Assert.Equal("width", Assert.Throws<ArgumentOutOfRangeException>(() => DecodedImage.FromPixels(new byte[4], 0, 1, PixelLayout.Rgba32)).ParamName);
        Assert.Equal("layout", Assert.Throws<ArgumentOutOfRangeException>(() => DecodedImage.FromPixels(new byte[4], 1, 1, (PixelLayout)9)).ParamName);
    }

    [Fact]
    public void FromPixels_OverThePixelLimit_ThrowsImageException()
    {
        var e = Assert.Throws<DinoSegImageException>(() =>
            DecodedImage.FromPixels(new byte[30_000], 100, 100, PixelLayout.Rgb24, limits: new ImageLimits { MaxPixels = 9_999 }));

        Assert.Contains("9999 pixels", e.Expected, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_EncodedBytesAndReadOnlyMemory_DecodeLikeTheFile()
    {
        byte[] png = File.ReadAllBytes(Photo);
        using Image<Rgb24> expected = ImageDecoder.Load(Photo);

        using var fromArray = DecodedImage.Load(png);
        // A slice of a larger buffer (an offset into a pooled array) must decode the same.
        var padded = new byte[png.Length + 10];
        png.CopyTo(padded, 5);
        using var fromSlice = DecodedImage.Load(padded.AsMemory(5, png.Length));

        AssertSamePixels(expected, fromArray.Image);
        AssertSamePixels(expected, fromSlice.Image);
    }

    [Fact]
    public void Load_UnseekableStream_DecodesLikeTheFile()
    {
        using Image<Rgb24> expected = ImageDecoder.Load(Photo);
        using var body = new UnseekableStream(File.ReadAllBytes(Photo));

        using var image = DecodedImage.Load(body);

        AssertSamePixels(expected, image.Image);
    }

    [Fact]
    public async Task LoadAsync_UnseekableStream_DecodesLikeTheFile()
    {
        using Image<Rgb24> expected = ImageDecoder.Load(Photo);
        await using var body = new UnseekableStream(File.ReadAllBytes(Photo));

        using var image = await DecodedImage.LoadAsync(body);

        AssertSamePixels(expected, image.Image);
    }

    [Fact]
    public async Task Load_UnseekableStreamLongerThanMaxBytes_RefusedWhileReadingWithoutReadingOn()
    {
        // An endless body: the copy must stop just past the limit (one read chunk at most), before any pixel is allocated.
        var limits = new ImageLimits { MaxBytes = 1_000_000 };
        using var endless = new EndlessStream();

        var e = Assert.Throws<DinoSegImageException>(() => DecodedImage.Load(endless, limits));
        var a = await Assert.ThrowsAsync<DinoSegImageException>(() => DecodedImage.LoadAsync(new EndlessStream(), limits));

        Assert.Contains("at most 1000000 bytes", e.Expected, StringComparison.Ordinal);
        Assert.Contains("MaxBytes", a.Fix, StringComparison.Ordinal);
        Assert.InRange(endless.Served, 1_000_000, 1_000_000 + 81_920);
    }

    [Fact]
    public void Load_UnseekableStreamOfAHeaderBomb_RefusedByThePixelLimit()
    {
        // A few hundred bytes declaring 10 gigapixels: the header check still runs on the copy, before decoding.
        using var body = new UnseekableStream(HostileFiles.PngHeaderOnly(100_000, 100_000));

        var e = Assert.Throws<DinoSegImageException>(() => DecodedImage.Load(body));

        Assert.Contains("pixels", e.Expected, StringComparison.Ordinal);
        Assert.Contains("100000x100000", e.Found, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAsync_Cancelled_ThrowsOperationCanceled()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => DecodedImage.LoadAsync(new EndlessStream(), cancellationToken: cancelled.Token));
    }

    [Fact]
    public void Dispose_ThenUse_ThrowsObjectDisposed()
    {
        var image = DecodedImage.FromPixels([1, 2, 3], 1, 1, PixelLayout.Rgb24);
        image.Dispose();
        image.Dispose();

        Assert.Throws<ObjectDisposedException>(() => image.CopyPixelsTo(new byte[3], PixelLayout.Rgb24));
    }

    [Fact]
    public void Renderer_OverlayAndCutoutIntoRawBuffers_EqualTheImageSharpViews()
    {
        using var image = DecodedImage.Load(Photo);
        var result = SyntheticResult(image.Width, image.Height);
        int stride = image.Width * 4 + 12;
        var overlay = new byte[stride * image.Height];
        var cutout = new byte[image.Width * 4 * image.Height];

        Renderer.Overlay(image, result, overlay, PixelLayout.Bgra32, stride);
        Renderer.Cutout(image, result, cutout, PixelLayout.Rgba32);

        using Image<Rgb24> expectedOverlay = Renderer.Overlay(image.Image, result);
        using Image<Rgba32> expectedCutout = Renderer.Cutout(image.Image, result);
        for (int y = 0; y < image.Height; y += 7)
        {
            for (int x = 0; x < image.Width; x += 5)
            {
                Rgb24 o = expectedOverlay[x, y];
                int i = y * stride + x * 4;
                Assert.Equal((o.B, o.G, o.R, (byte)255), (overlay[i], overlay[i + 1], overlay[i + 2], overlay[i + 3]));
                Rgba32 c = expectedCutout[x, y];
                int j = (y * image.Width + x) * 4;
                Assert.Equal((c.R, c.G, c.B, c.A), (cutout[j], cutout[j + 1], cutout[j + 2], cutout[j + 3]));
            }
        }
    }

    [Fact]
    public void Renderer_CutoutIntoALayoutWithoutAlpha_ThrowsNamingTheLayouts()
    {
        using var image = DecodedImage.FromPixels(new byte[48], 4, 4, PixelLayout.Rgb24);
        var result = SyntheticResult(4, 4);

        var e = Assert.Throws<ArgumentException>(() => Renderer.Cutout(image, result, new byte[48], PixelLayout.Bgr24));

        Assert.Equal("layout", e.ParamName);
        Assert.Contains("Rgba32 or Bgra32", e.Message, StringComparison.Ordinal);
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => Renderer.Overlay(image, result, new byte[47], PixelLayout.Rgb24)).ParamName);
    }

    [Theory]
    [InlineData(SegmentationView.Mask)]
    [InlineData(SegmentationView.Cutout)]
    [InlineData(SegmentationView.Panel)]
    public async Task ViewWriter_WritePngToAStream_IsTheViewTheFolderWriterWrites(SegmentationView view)
    {
        using var image = DecodedImage.Load(Photo);
        var result = SyntheticResult(image.Width, image.Height);
        string dir = Directory.CreateTempSubdirectory("dinoseg-views-").FullName;
        try
        {
            IReadOnlyList<string> files = ViewWriter.SaveAll(image, result, dir);
            using var sync = new MemoryStream();
            using var async = new MemoryStream();

            ViewWriter.WritePng(view, image, result, sync);
            await ViewWriter.WritePngAsync(view, image, result, async);

            byte[] expected = File.ReadAllBytes(files[(int)view]);
            Assert.Equal(expected, sync.ToArray());
            Assert.Equal(expected, async.ToArray());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task DinoSegmenter_RawBgraPixelsAndUnseekableStream_SegmentLikeThePath()
    {
        DinoSegmenter dino = EmbeddedBackbone.Segmenter;
        var seed = new PixelPoint(172, 115);
        SegmentationResult fromPath = dino.Segment(Photo, seed);
        // What a SkiaSharp user has: BGRA bytes with a row stride.
        byte[] bgra;
        int width, height;
        using (var decoded = DecodedImage.Load(Photo))
        {
            (width, height) = (decoded.Width, decoded.Height);
            bgra = new byte[width * 4 * height];
            decoded.CopyPixelsTo(bgra, PixelLayout.Bgra32);
        }

        using var image = DecodedImage.FromPixels(bgra, width, height, PixelLayout.Bgra32, width * 4);
        SegmentationResult fromPixels = dino.Segment(image, seed);
        await using var body = new UnseekableStream(File.ReadAllBytes(Photo));
        PatchFeatures streamed = await dino.ExtractAsync(body);
        SegmentationResult fromStream = dino.Segment(streamed, seed);

        Assert.True(fromPath.Mask.SequenceEqual(fromPixels.Mask));
        Assert.True(fromPath.Mask.SequenceEqual(fromStream.Mask));
        Assert.Equal(fromPath.Threshold, fromPixels.Threshold);
        Assert.InRange(fromPixels.SelectedPixels, 1, width * height - 1);
    }

    private static SegmentationResult SyntheticResult(int width, int height)
    {
        // Any real result will do: random features on the image's grid, one click in the middle.
        PatchFeatures features = Segmentation.SimilaritySegmenterTests.RandomFeatures(42, (height + 15) / 16, (width + 15) / 16, 8, width, height);
        return new SimilaritySegmenter(TestOptions.Unrefined).Segment(features, new PixelPoint(width / 2, height / 2), 0.2f);
    }

    private static void AssertSamePixels(Image<Rgb24> expected, Image<Rgb24> actual)
    {
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        for (int y = 0; y < expected.Height; y++)
        {
            Assert.True(expected.DangerousGetPixelRowMemory(y).Span.SequenceEqual(actual.DangerousGetPixelRowMemory(y).Span), $"row {y} differs");
        }
    }

    private sealed class UnseekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    }

    /// <summary>A request body that never ends: counts what it served.</summary>
    private sealed class EndlessStream : Stream
    {
        public long Served { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            Array.Fill(buffer, (byte)0x89, offset, count);
            Served += count;
            return count;
        }

        public override void Flush() { }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
