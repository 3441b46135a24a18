using Microsoft.ML.OnnxRuntime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Tests.Onnx;

/// <summary>The embedded ResNet18 stride-16 backbone and the extractor's lifetime and device handling.</summary>
public sealed class EmbeddedBackboneTests
{
    [Fact]
    public void EmbeddedModel_HasSymbolicHeightAndWidth_AndOneStride16Output()
    {
        using var session = new InferenceSession(OnnxFeatureExtractor.ReadEmbeddedModel());

        var input = session.InputMetadata.Single().Value;
        var output = session.OutputMetadata.Single().Value;

        Assert.Equal([1, 3, -1, -1], input.Dimensions);
        Assert.Equal([1, 256, -1, -1], output.Dimensions);
    }

    [Theory]
    [InlineData(451, 300, 512, 32, 21)]
    [InlineData(300, 451, 512, 21, 32)]
    [InlineData(17, 5, 256, 16, 5)]
    [InlineData(40, 1, 64, 4, 1)]
    [InlineData(1000, 1000, 320, 20, 20)]
    public void Extract_AnyImageSize_GivesUnitVectorsOnTheExpectedGrid(int width, int height, int longSide, int cols, int rows)
    {
        using var extractor = OnnxFeatureExtractor.CreateDefault(new ExtractorOptions { LongSide = longSide });
        using var image = TinyDinov3Tests.PatternImage(width, height);

        PatchFeatures features = extractor.Extract(image);

        Assert.Equal((rows, cols, 256, 16), (features.Rows, features.Cols, features.Dim, features.PatchSize));
        Assert.Equal((width, height), (features.ImageWidth, features.ImageHeight));
        Assert.Equal("resnet18-s16", features.Backbone);
        for (int p = 0; p < features.PatchCount; p++)
        {
            float norm = MathF.Sqrt(features.GetPatch(p / cols, p % cols).ToArray().Sum(v => v * v));
            Assert.InRange(norm, 0.9999f, 1.0001f);
        }
    }

    [Fact]
    public void Extract_SameImageTwice_IsDeterministic()
    {
        using var extractor = OnnxFeatureExtractor.CreateDefault(new ExtractorOptions { LongSide = 256 });
        using var image = ImageDecoder.Load(TestPaths.Image("coffee.png"));

        float[] a = extractor.Extract(image).Vectors.ToArray();
        float[] b = extractor.Extract(image).Vectors.ToArray();

        Assert.Equal(a, b);
    }

    [Fact]
    public void CreateDefault_OnCpuPackage_AutoFallsBackToCpuAndSaysWhy()
    {
        using var extractor = OnnxFeatureExtractor.CreateDefault();

        Assert.Equal(ExecutionDevice.Cpu, extractor.Device);
        Assert.Contains("no CUDA execution provider", extractor.DeviceReason);
    }

    [Fact]
    public void CreateDefault_CudaRequiredOnCpuPackage_ThrowsDeviceExceptionNamingThePackage()
    {
        var e = Assert.Throws<DinoSegDeviceException>(() => OnnxFeatureExtractor.CreateDefault(new ExtractorOptions { Device = ExecutionDevice.Cuda }));

        Assert.Contains("DinoSeg.Gpu", e.Fix);
    }

    [Fact]
    public void Create_MissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => OnnxFeatureExtractor.Create("/no/such/model.onnx", Backbone.Dinov3));
    }

    [Fact]
    public void Create_NotAnOnnxFile_ThrowsModelException()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "this is not a protobuf");

            var e = Assert.Throws<DinoSegModelException>(() => OnnxFeatureExtractor.Create(path, Backbone.Dinov3));

            Assert.Contains("ONNX model", e.Expected);
            Assert.Contains("tools/export", e.Fix);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Dispose_Twice_IsHarmless_AndExtractAfterwardsThrows()
    {
        var extractor = OnnxFeatureExtractor.CreateDefault();
        using var image = new Image<Rgb24>(32, 32);

        extractor.Dispose();
        extractor.Dispose();

        Assert.Throws<ObjectDisposedException>(() => extractor.Extract(image));
    }

    [Fact]
    public void Extract_CancelledToken_ThrowsOperationCanceled()
    {
        using var extractor = OnnxFeatureExtractor.CreateDefault();
        using var image = new Image<Rgb24>(64, 64);

        Assert.Throws<OperationCanceledException>(() => extractor.Extract(image, new CancellationToken(canceled: true)));
    }

    [Fact]
    public void Create_InvalidOptions_ThrowArgumentExceptions()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxFeatureExtractor.CreateDefault(new ExtractorOptions { LongSide = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxFeatureExtractor.CreateDefault(new ExtractorOptions { IntraOpThreads = -1 }));
        Assert.Throws<ArgumentException>(() => OnnxFeatureExtractor.Create([1, 2, 3], Backbone.Dinov3 with { Mean = [0.5f] }));
    }
}
