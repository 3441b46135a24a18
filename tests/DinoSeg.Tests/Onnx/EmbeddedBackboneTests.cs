using Microsoft.ML.OnnxRuntime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Tests.Onnx;

/// <summary>The embedded ResNet18 stride-16 backbone and the extractor's lifetime and device handling.</summary>
public sealed class EmbeddedBackboneTests
{
    [Fact]
    public void EmbeddedModels_HaveSymbolicHeightAndWidth_LayersTwoAndThree_ThenLayerFour()
    {
        using var head = new InferenceSession(OnnxFeatureExtractor.ReadEmbeddedModel());
        using var tail = new InferenceSession(OnnxFeatureExtractor.ReadEmbeddedModel(OnnxFeatureExtractor.EmbeddedLayer4File));

        Assert.Equal([1, 3, -1, -1], head.InputMetadata.Single().Value.Dimensions);
        // Layer 3 first: a reader of the first output alone (Blocks = []) gets the earlier layer-3 model's output.
        Assert.Equal(["ReLU347_Output_0", "ReLU315_Output_0"], head.OutputMetadata.Keys);
        Assert.Equal([1, 256, -1, -1], head.OutputMetadata["ReLU347_Output_0"].Dimensions);
        Assert.Equal([1, 128, -1, -1], head.OutputMetadata["ReLU315_Output_0"].Dimensions);
        Assert.Equal("ReLU347_Output_0", tail.InputMetadata.Single().Key);
        Assert.Equal([1, 256, -1, -1], tail.InputMetadata.Single().Value.Dimensions);
        Assert.Equal([1, 512, -1, -1], tail.OutputMetadata.Single().Value.Dimensions);
        Assert.Equal("ReLU379_Output_0", tail.OutputMetadata.Single().Key);
    }

    [Fact]
    public void EmbeddedModels_RunOnASmallInput_GiveEachOutputAtItsStride()
    {
        using var head = new InferenceSession(OnnxFeatureExtractor.ReadEmbeddedModel());
        using var tail = new InferenceSession(OnnxFeatureExtractor.ReadEmbeddedModel(OnnxFeatureExtractor.EmbeddedLayer4File));
        var pixels = new float[3 * 96 * 64];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (i * 37 % 255) - 120f;
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [1, 3, 64, 96]);

        using var layers23 = head.Run(new RunOptions(), ["Input247"], [input], ["ReLU347_Output_0", "ReLU315_Output_0"]);
        using var layer4 = tail.Run(new RunOptions(), ["ReLU347_Output_0"], [layers23.First()], ["ReLU379_Output_0"]);

        Assert.Equal([1L, 256, 4, 6], layers23.ElementAt(0).GetTensorTypeAndShape().Shape);
        Assert.Equal([1L, 128, 8, 12], layers23.ElementAt(1).GetTensorTypeAndShape().Shape);
        Assert.Equal([1L, 512, 2, 3], layer4.First().GetTensorTypeAndShape().Shape);
        // Post-ReLU maps: non-negative, finite, not all zero.
        foreach (OrtValue v in layers23.Concat(layer4))
        {
            ReadOnlySpan<float> data = v.GetTensorDataAsSpan<float>();
            Assert.True(System.Numerics.Tensors.TensorPrimitives.Min(data) >= 0);
            Assert.True(float.IsFinite(System.Numerics.Tensors.TensorPrimitives.Sum(data)));
            Assert.True(System.Numerics.Tensors.TensorPrimitives.Max(data) > 0);
        }
    }

    // Default (layers 2+3+4): working sides round to multiples of 32; layer 3 alone: multiples of 16, as before.
    [Theory]
    [InlineData(451, 300, 512, 32, 22, 32, 21)]
    [InlineData(300, 451, 512, 22, 32, 21, 32)]
    [InlineData(17, 5, 256, 16, 4, 16, 5)]
    [InlineData(40, 1, 64, 4, 2, 4, 1)]
    [InlineData(1000, 1000, 320, 20, 20, 20, 20)]
    [InlineData(640, 480, 768, 48, 36, 48, 36)]
    public void Extract_AnyImageSize_GivesUnitVectorsOnTheExpectedGrid(int width, int height, int longSide, int cols, int rows, int cols3, int rows3)
    {
        foreach (var (backbone, c, r, dim) in new[] { (Backbone.ResNet18, cols, rows, 896), (Backbone.ResNet18Layer3, cols3, rows3, 256) })
        {
            using var extractor = OnnxFeatureExtractor.CreateDefault(backbone, new ExtractorOptions { LongSide = longSide });
            using var image = TinyDinov3Tests.PatternImage(width, height);

            PatchFeatures features = extractor.Extract(image);

            Assert.Equal((r, c, dim, 16), (features.Rows, features.Cols, features.Dim, features.PatchSize));
            Assert.Equal((c * 16, r * 16), extractor.WorkingSizeFor(width, height));
            Assert.Equal(0, features.WorkingWidth % backbone.WorkingMultiple);
            Assert.Equal(0, features.WorkingHeight % backbone.WorkingMultiple);
            Assert.Equal((width, height), (features.ImageWidth, features.ImageHeight));
            Assert.Equal(backbone.Name, features.Backbone);
            for (int p = 0; p < features.PatchCount; p++)
            {
                float norm = MathF.Sqrt(features.GetPatch(p / c, p % c).ToArray().Sum(v => v * v));
                Assert.InRange(norm, 0.9999f, 1.0001f);
            }
        }
    }

    [Theory]
    [InlineData(451, 300, 512)]
    [InlineData(17, 5, 256)]
    [InlineData(300, 451, 336)]
    public void Extract_Layer3Preset_EqualsTheSingleOutputPath_BitForBit(int width, int height, int longSide)
    {
        // Blocks = [] reads the first output (layer 3) exactly as DinoSeg read the earlier layer-3 model, whose output the
        // first embedded model reproduces bit for bit (see Models/NOTICE.md): the preset must give the very same features.
        var options = new ExtractorOptions { LongSide = longSide };
        using var preset = OnnxFeatureExtractor.CreateDefault(Backbone.ResNet18Layer3, options);
        using var single = OnnxFeatureExtractor.CreateDefault(Backbone.ResNet18Layer3 with { Blocks = [] }, options);
        using var weights = OnnxFeatureExtractor.CreateDefault(Backbone.ResNet18.WithBlockWeights(0f, 1f, 0f), options);
        using var image = TinyDinov3Tests.PatternImage(width, height);

        PatchFeatures expected = single.Extract(image);

        foreach (OnnxFeatureExtractor extractor in new[] { preset, weights })
        {
            PatchFeatures actual = extractor.Extract(image);
            Assert.Equal((expected.Rows, expected.Cols, 256), (actual.Rows, actual.Cols, actual.Dim));
            Assert.True(expected.Vectors.SequenceEqual(actual.Vectors));
        }
    }

    [Fact]
    public void CreateDefault_Layer3Preset_LoadsOnlyTheFirstModel()
    {
        long head = OnnxFeatureExtractor.ReadEmbeddedModel().LongLength;
        long tail = OnnxFeatureExtractor.ReadEmbeddedModel(OnnxFeatureExtractor.EmbeddedLayer4File).LongLength;
        foreach (var (backbone, bytes) in new[] { (Backbone.ResNet18Layer3, head), (Backbone.ResNet18, head + tail) })
        {
            using var loggers = new Hosting.CapturingLoggerFactory();
            using var extractor = OnnxFeatureExtractor.CreateDefault(backbone, new ExtractorOptions { Logger = loggers.CreateLogger("test") });

            Assert.Contains(loggers.Records, r => r.EventId.Id == 1 && r.Message.Contains($"({bytes} bytes)", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void CreateDefault_NotAResNet18Preset_Throws()
    {
        Assert.Throws<ArgumentException>("backbone", () => OnnxFeatureExtractor.CreateDefault(Backbone.Dinov3));
    }

    [Fact]
    public void Create_BlockOutputTheModelLacks_ThrowsModelExceptionNamingIt()
    {
        var backbone = Backbone.ResNet18 with { Blocks = [new FeatureBlock("ReLU347_Output_0", 16), new FeatureBlock("no_such_output", 32)] };

        // The first model alone, without the layer-4 part that could provide it.
        var e = Assert.Throws<DinoSegModelException>(() => OnnxFeatureExtractor.Create(OnnxFeatureExtractor.ReadEmbeddedModel(), backbone));

        Assert.Contains("no_such_output", e.Expected);
        Assert.Contains("ReLU347_Output_0", e.Found);
    }

    [Fact]
    public void Create_TokenModelWithBlocks_ThrowsModelException()
    {
        var backbone = Backbone.Dinov3 with { Blocks = [new FeatureBlock("tokens", 16)] };

        Assert.Throws<DinoSegModelException>(() => OnnxFeatureExtractor.Create(TestPaths.Fixture("tiny-dinov3.onnx"), backbone));
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
    public void CreateDefault_OnCpuPackage_AutoRunsOnCpuAndSaysItIsTheCpuPackage()
    {
        using var extractor = OnnxFeatureExtractor.CreateDefault();

        Assert.Equal(ExecutionDevice.Cpu, extractor.Device);
        Assert.StartsWith("CPU package: no CUDA provider", extractor.DeviceReason, StringComparison.Ordinal);
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
        using var image = new Image<Rgb24>(64, 64);

        Assert.Throws<OperationCanceledException>(() => EmbeddedBackbone.Extractor.Extract(image, new CancellationToken(canceled: true)));
    }

    [Fact]
    public void Create_InvalidOptions_ThrowArgumentExceptions()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxFeatureExtractor.CreateDefault(new ExtractorOptions { LongSide = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxFeatureExtractor.CreateDefault(new ExtractorOptions { IntraOpThreads = -1 }));
        Assert.Throws<ArgumentException>(() => OnnxFeatureExtractor.Create([1, 2, 3], Backbone.Dinov3 with { Mean = [0.5f] }));
    }
}
