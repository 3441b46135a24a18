using DinoSeg.Kernels;
using Microsoft.ML.OnnxRuntime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Tests.Reliability;

/// <summary>Every public entry point refuses bad arguments with a BCL argument exception that names the parameter.</summary>
public sealed class ValidationTests
{
    private static readonly string TinyModel = TestPaths.Fixture("tiny-dinov3.onnx");

    /// <summary>An extractor that must never run: proves a check happened before the expensive step.</summary>
    private sealed class MustNotRunExtractor : IFeatureExtractor
    {
        public int Disposals { get; private set; }

        public Backbone Backbone => Backbone.Dinov3;

        public PatchFeatures Extract(Image<Rgb24> image, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("The backbone ran although the arguments were invalid.");

        public void Dispose() => Disposals++;
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(-1.01f)]
    [InlineData(1.5f)]
    public void DinoSegmenterSegment_BadThreshold_ThrowsNamingThresholdBeforeExtracting(float threshold)
    {
        using var dino = new DinoSegmenter(new MustNotRunExtractor());
        using var image = new Image<Rgb24>(32, 32);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => dino.Segment(image, new PixelPoint(1, 1), threshold));
        var fromFile = Assert.Throws<ArgumentOutOfRangeException>(() => dino.Segment("no-such-file.png", new PixelPoint(1, 1), threshold));

        Assert.Equal("threshold", e.ParamName);
        Assert.Equal("threshold", fromFile.ParamName); // before the file is even looked for
    }

    [Theory]
    [InlineData(-1, 0)]
    [InlineData(0, -1)]
    [InlineData(32, 0)]
    [InlineData(0, 20)]
    [InlineData(int.MinValue, int.MaxValue)]
    public void DinoSegmenterSegment_SeedOutsideImage_ThrowsNamingSeedBeforeExtracting(int x, int y)
    {
        using var dino = new DinoSegmenter(new MustNotRunExtractor());
        using var image = new Image<Rgb24>(32, 20);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => dino.Segment(image, new PixelPoint(x, y), 0.5f));

        Assert.Equal("seed", e.ParamName);
    }

    [Fact]
    public void DinoSegmenter_NullArguments_ThrowNamingThem()
    {
        using var dino = new DinoSegmenter(new MustNotRunExtractor());

        Assert.Equal("extractor", Assert.Throws<ArgumentNullException>(() => new DinoSegmenter(null!)).ParamName);
        Assert.Equal("image", Assert.Throws<ArgumentNullException>(() => dino.Extract((Image<Rgb24>)null!)).ParamName);
        Assert.Equal("image", Assert.Throws<ArgumentNullException>(() => dino.Segment((Image<Rgb24>)null!, default, 0f)).ParamName);
        Assert.Equal("features", Assert.Throws<ArgumentNullException>(() => dino.Segment((PatchFeatures)null!, default, 0f)).ParamName);
        Assert.Equal("path", Assert.Throws<ArgumentNullException>(() => dino.Extract((string)null!)).ParamName);
    }

    [Fact]
    public void DinoSegmenter_DisposedTwice_IsHarmless_DisposesItsExtractorOnce_AndThenThrowsObjectDisposed()
    {
        var extractor = new MustNotRunExtractor();
        var dino = new DinoSegmenter(extractor);
        using var image = new Image<Rgb24>(16, 16);
        PatchFeatures features = PatchFeatures.FromVectors([1f], 1, 1, 1, 16, 16, 16, 16, 16, "one");

        dino.Dispose();
        dino.Dispose();

        Assert.Equal(1, extractor.Disposals);
        Assert.Throws<ObjectDisposedException>(() => dino.Extract(image));
        Assert.Throws<ObjectDisposedException>(() => dino.Extract("any.png"));
        Assert.Throws<ObjectDisposedException>(() => dino.Segment(image, new PixelPoint(1, 1), 0f));
        Assert.Throws<ObjectDisposedException>(() => dino.Segment(features, new PixelPoint(1, 1), 0f));
    }

    [Fact]
    public void DinoSegmenter_NotOwningItsExtractor_LeavesItUndisposed()
    {
        var extractor = new MustNotRunExtractor();

        new DinoSegmenter(extractor, ownsExtractor: false).Dispose();

        Assert.Equal(0, extractor.Disposals);
    }

    [Fact]
    public void DinoSegmenterCreate_BadSegmentationOptions_ThrowsNamingTheOption()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            DinoSegmenter.Create(TinyModel, Backbone.Dinov3, null, SegmentationOptions.Default with { FeatherSigma = double.NaN }));

        Assert.Equal("FeatherSigma", e.ParamName);
    }

    public static TheoryData<string, Func<Backbone, Backbone>> BadBackbones => new()
    {
        { "Name", b => b with { Name = " " } },
        { "PatchSize", b => b with { PatchSize = 0 } },
        { "RegisterTokens", b => b with { RegisterTokens = -1 } },
        { "ChannelOrder", b => b with { ChannelOrder = (ChannelOrder)7 } },
        { "PixelScale", b => b with { PixelScale = float.NaN } },
        { "PixelScale", b => b with { PixelScale = 0 } },
        { "Mean", b => b with { Mean = [0.5f, 0.5f] } },
        { "Mean", b => b with { Mean = [0.5f, float.NaN, 0.5f] } },
        { "Mean", b => b with { Mean = null! } },
        { "Std", b => b with { Std = [0.5f, float.PositiveInfinity, 0.5f] } },
        { "Std", b => b with { Std = [0.5f, 0f, 0.5f] } },
        { "DefaultLongSide", b => b with { DefaultLongSide = 8 } },
        { "DefaultLongSide", b => b with { DefaultLongSide = 100_000 } },
        { "DefaultThreshold", b => b with { DefaultThreshold = float.NaN } },
    };

    [Theory]
    [MemberData(nameof(BadBackbones))]
    public void OnnxFeatureExtractorCreate_BadBackbone_ThrowsNamingTheProperty(string property, Func<Backbone, Backbone> change)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => OnnxFeatureExtractor.Create(TinyModel, change(Backbone.Dinov3)));

        Assert.Equal(property, e.ParamName);
    }

    public static TheoryData<string, ExtractorOptions> BadOptions => new()
    {
        { "LongSide", new ExtractorOptions { LongSide = ExtractorOptions.MaxLongSide + 1 } },
        { "CudaDeviceId", new ExtractorOptions { CudaDeviceId = -1 } },
        { "Device", new ExtractorOptions { Device = (ExecutionDevice)9 } },
        { "GraphOptimization", new ExtractorOptions { GraphOptimization = (GraphOptimizationLevel)42 } },
        { "OptimizedModelPath", new ExtractorOptions { OptimizedModelPath = " " } },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void OnnxFeatureExtractorCreate_BadOptions_ThrowsNamingTheProperty(string property, ExtractorOptions options)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => OnnxFeatureExtractor.Create(TinyModel, Backbone.Dinov3, options));

        Assert.Equal(property, e.ParamName);
    }

    [Fact]
    public void OnnxFeatureExtractor_NullAndEmptyArguments_ThrowNamingThem()
    {
        using var extractor = OnnxFeatureExtractor.Create(TinyModel, Backbone.Dinov3, new ExtractorOptions { Device = ExecutionDevice.Cpu, LongSide = 64 });

        Assert.Equal("modelPath", Assert.ThrowsAny<ArgumentException>(() => OnnxFeatureExtractor.Create("", Backbone.Dinov3)).ParamName);
        Assert.Equal("model", Assert.Throws<ArgumentNullException>(() => OnnxFeatureExtractor.Create((byte[])null!, Backbone.Dinov3)).ParamName);
        Assert.Equal("backbone", Assert.Throws<ArgumentNullException>(() => OnnxFeatureExtractor.Create(TinyModel, null!)).ParamName);
        Assert.Equal("image", Assert.Throws<ArgumentNullException>(() => extractor.Extract(null!)).ParamName);
        Assert.Equal("imageWidth", Assert.Throws<ArgumentOutOfRangeException>(() => extractor.WorkingSizeFor(0, 10)).ParamName);
        Assert.Equal("imageHeight", Assert.Throws<ArgumentOutOfRangeException>(() => extractor.WorkingSizeFor(10, -3)).ParamName);
    }

    [Fact]
    public void OnnxFeatureExtractorCreate_EmptyModelBytes_ThrowsModelException()
    {
        Assert.Throws<DinoSegModelException>(() => OnnxFeatureExtractor.Create([], Backbone.Dinov3));
    }

    [Theory]
    [InlineData(0, 10, 16, 16, 16, "ImageWidth")]
    [InlineData(10, -1, 16, 16, 16, "ImageHeight")]
    [InlineData(10, 10, 0, 16, 16, "WorkingWidth")]
    [InlineData(10, 10, 16, -16, 16, "WorkingHeight")]
    [InlineData(10, 10, 16, 16, 0, "PatchSize")]
    [InlineData(10, 10, 20, 16, 16, "WorkingWidth")]
    [InlineData(10, 10, 16, 33, 16, "WorkingHeight")]
    public void PatchGrid_BadSizes_ThrowNamingTheSize(int imageWidth, int imageHeight, int workingWidth, int workingHeight, int patchSize, string name)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new PatchGrid(imageWidth, imageHeight, workingWidth, workingHeight, patchSize));

        Assert.Equal(name, e.ParamName);
    }

    [Fact]
    public void PatchGrid_WithNonPositiveSize_Throws_AndDefaultGridHasNoPatches()
    {
        var grid = new PatchGrid(100, 50, 80, 48, 16);

        Assert.Equal("ImageWidth", Assert.Throws<ArgumentOutOfRangeException>(() => grid with { ImageWidth = 0 }).ParamName);
        Assert.Equal("PatchSize", Assert.Throws<ArgumentOutOfRangeException>(() => grid with { PatchSize = -16 }).ParamName);
        Assert.Equal((0, 0), (default(PatchGrid).Rows, default(PatchGrid).Cols));
        Assert.Throws<ArgumentOutOfRangeException>(() => default(PatchGrid).PatchBounds(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => default(PatchGrid).PatchAt(new PixelPoint(0, 0)));
    }

    [Fact]
    public void PatchFeaturesFromVectors_ImageTooLargeForOneArray_ThrowsNamingImageWidth()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            PatchFeatures.FromVectors([1f], 1, 1, 1, 16, 16, 16, 50_000, 50_000, "huge"));

        Assert.Equal("imageWidth", e.ParamName);
    }

    [Theory]
    [InlineData(0, 1, "MaxPixels")]
    [InlineData(-5, 1, "MaxPixels")]
    [InlineData(1, 0, "MaxBytes")]
    public void ImageLimits_NonPositive_ThrowNamingTheLimit(long pixels, long bytes, string name)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ImageLimits { MaxPixels = pixels, MaxBytes = bytes });

        Assert.Equal(name, e.ParamName);
    }

    [Fact]
    public void ImageDecoderLoad_NullOrEmptyUnseekableStream_ThrowsNamingStream()
    {
        using var unseekable = new UnseekableStream();

        Assert.Equal("stream", Assert.Throws<ArgumentNullException>(() => ImageDecoder.Load((Stream)null!)).ParamName);
        // A stream that cannot seek is read into memory first (Imaging/DecodedImageTests): an empty one is an empty image.
        Assert.Contains("an empty stream", Assert.Throws<DinoSegImageException>(() => ImageDecoder.Load(unseekable)).Found, StringComparison.Ordinal);
        Assert.Equal("path", Assert.ThrowsAny<ArgumentException>(() => ImageDecoder.Load("")).ParamName);
    }

    private sealed class UnseekableStream : MemoryStream
    {
        public override bool CanSeek => false;
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.NegativeInfinity)]
    [InlineData(1.0001f)]
    [InlineData(-2f)]
    public void ThresholdApply_ThresholdNotInMinusOneToOne_ThrowsNamingThreshold(float threshold)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Threshold.Apply(new float[4], threshold, new byte[4]));

        Assert.Equal("threshold", e.ParamName);
    }

    [Fact]
    public void GaussianBlurScratchLength_BadSizes_ThrowNamingThem()
    {
        Assert.Equal("rows", Assert.Throws<ArgumentOutOfRangeException>(() => GaussianBlur.ScratchLength(0, 4, 1)).ParamName);
        Assert.Equal("cols", Assert.Throws<ArgumentOutOfRangeException>(() => GaussianBlur.ScratchLength(4, -1, 1)).ParamName);
        Assert.Equal("rows", Assert.Throws<ArgumentOutOfRangeException>(() => GaussianBlur.ScratchLength(100_000, 100_000, 1)).ParamName);
    }

    [Fact]
    public void SeparableFilter_NullWeights_ThrowNamingThem()
    {
        AxisWeights weights = AxisWeights.Gaussian(4, 1);

        Assert.Equal("rowWeights", Assert.Throws<ArgumentNullException>(() => SeparableFilter.ScratchLength(null!, weights)).ParamName);
        Assert.Equal("colWeights", Assert.Throws<ArgumentNullException>(() => SeparableFilter.ScratchLength(weights, null!)).ParamName);
        Assert.Equal("rowWeights", Assert.Throws<ArgumentNullException>(() =>
            SeparableFilter.Apply(new float[16], null!, weights, new float[16], new float[16])).ParamName);
        Assert.Equal("colWeights", Assert.Throws<ArgumentNullException>(() =>
            SeparableFilter.Apply(new float[16], weights, null!, new float[16], new float[16])).ParamName);
    }

    [Fact]
    public void DinoSegExceptions_NullParts_ThrowNamingThem()
    {
        Assert.Equal("expected", Assert.Throws<ArgumentNullException>(() => new DinoSegImageException(null!, "f", "x")).ParamName);
        Assert.Equal("found", Assert.Throws<ArgumentNullException>(() => new DinoSegModelException("e", null!, "x")).ParamName);
        Assert.Equal("fix", Assert.Throws<ArgumentNullException>(() => new DinoSegDeviceException("e", "f", null!)).ParamName);
    }
}
