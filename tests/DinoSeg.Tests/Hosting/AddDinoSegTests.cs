using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Tests.Hosting;

/// <summary><c>services.AddDinoSeg(…)</c>: what it registers, how it validates, what it logs.</summary>
public sealed class AddDinoSegTests
{
    [Fact]
    public void AddDinoSeg_Defaults_ResolvesOneEmbeddedExtractorBehindEveryService()
    {
        using ServiceProvider provider = new ServiceCollection().AddDinoSeg().BuildServiceProvider();

        var segmenter = provider.GetRequiredService<DinoSegmenter>();
        var extractor = provider.GetRequiredService<OnnxFeatureExtractor>();

        Assert.Same(extractor, segmenter.Extractor);
        Assert.Same(extractor, provider.GetRequiredService<IFeatureExtractor>());
        Assert.Same(segmenter, provider.GetRequiredService<DinoSegmenter>());
        Assert.Equal(Backbone.ResNet18.Name, extractor.Backbone.Name);
        Assert.Equal(ExecutionDevice.Cpu, extractor.Device);
    }

    [Fact]
    public void AddDinoSeg_Configured_OptionsReachTheExtractorAndTheSegmenter()
    {
        using ServiceProvider provider = new ServiceCollection()
            .AddDinoSeg(o =>
            {
                o.Extractor = o.Extractor with { Device = ExecutionDevice.Cpu, LongSide = 256 };
                o.Segmentation = o.Segmentation with { FeatherSigma = 3 };
            })
            .BuildServiceProvider();

        var segmenter = provider.GetRequiredService<DinoSegmenter>();
        var extractor = (OnnxFeatureExtractor)segmenter.Extractor;

        Assert.Equal(256, extractor.LongSide);
        Assert.Equal("CPU requested", extractor.DeviceReason);
        Assert.Equal(3, segmenter.Segmenter.Options.FeatherSigma);
        using var image = new Image<Rgb24>(320, 200);
        PatchFeatures features = segmenter.Extract(image);
        Assert.Equal((10, 16), (features.Rows, features.Cols));
    }

    [Fact]
    public void AddDinoSeg_ModelFileMissingAndNoBackbone_FailsNamingBothProblems()
    {
        using ServiceProvider provider = new ServiceCollection().AddDinoSeg(o => o.ModelPath = "/no/such/dinov3.onnx").BuildServiceProvider();

        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<DinoSegmenter>());

        Assert.Contains(e.Failures, f => f.Contains("'/no/such/dinov3.onnx' does not exist", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("Backbone is required with ModelPath", StringComparison.Ordinal));
    }

    [Fact]
    public void AddDinoSeg_DinoBackboneWithoutModel_FailsSayingOnlyResNet18IsEmbedded()
    {
        using ServiceProvider provider = new ServiceCollection().AddDinoSeg(o => o.Backbone = Backbone.Dinov3).BuildServiceProvider();

        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IFeatureExtractor>());

        Assert.Contains("'dinov3' needs ModelPath", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddDinoSeg_BadExtractorAndSegmentationValues_FailWithThePropertyNamed()
    {
        using ServiceProvider provider = new ServiceCollection()
            .AddDinoSeg(o =>
            {
                o.Extractor = o.Extractor with { LongSide = -5 };
                o.Segmentation = o.Segmentation with { FeatherSigma = double.NaN };
            })
            .BuildServiceProvider();

        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<DinoSegmenter>());

        Assert.Contains(e.Failures, f => f.StartsWith("DinoSeg: Extractor.LongSide: ", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("DinoSeg: Segmentation.FeatherSigma: ", StringComparison.Ordinal));
    }

    [Fact]
    public void AddDinoSeg_WithLoggerFactory_LogsModelLoadDeviceReasonAndExtractionTimings()
    {
        using var loggers = new CapturingLoggerFactory();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(loggers);
        using ServiceProvider provider = services.AddDinoSeg().BuildServiceProvider();

        var segmenter = provider.GetRequiredService<DinoSegmenter>();
        using var image = new Image<Rgb24>(64, 48);
        segmenter.Extract(image);

        LogRecord loaded = Assert.Single(loggers.Records, r => r.EventId.Id == 1);
        Assert.Equal("DinoSeg.OnnxFeatureExtractor", loaded.Category);
        Assert.Equal(LogLevel.Information, loaded.Level);
        Assert.Contains("resnet18-layers23.onnx", loaded.Message, StringComparison.Ordinal);
        Assert.Contains("device Cpu: CPU package: no CUDA provider in this ONNX Runtime build", loaded.Message, StringComparison.Ordinal);
        LogRecord fallback = Assert.Single(loggers.Records, r => r.EventId.Id == 2);
        Assert.Equal(LogLevel.Information, fallback.Level);
        Assert.Contains("Device Auto requested; CPU package: no CUDA provider", fallback.Message, StringComparison.Ordinal);
        LogRecord extracted = Assert.Single(loggers.Records, r => r.EventId.Id == 3);
        Assert.Equal(LogLevel.Debug, extracted.Level);
        Assert.Contains("of a 64x48 image", extracted.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddDinoSeg_ProviderDisposed_DisposesTheExtractor()
    {
        ServiceProvider provider = new ServiceCollection().AddDinoSeg().BuildServiceProvider();
        var extractor = provider.GetRequiredService<OnnxFeatureExtractor>();

        provider.Dispose();

        using var image = new Image<Rgb24>(32, 32);
        Assert.Throws<ObjectDisposedException>(() => extractor.Extract(image));
    }

    [Fact]
    public void AddDinoSeg_NullServices_ThrowsNamingServices()
    {
        var e = Assert.Throws<ArgumentNullException>(() => DinoSegServiceCollectionExtensions.AddDinoSeg(null!));
        Assert.Equal("services", e.ParamName);
    }
}
