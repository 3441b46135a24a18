using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace DinoSeg.Tests.Hosting;

/// <summary>What the extractor logs when the CUDA build is installed but CUDA cannot be used (no GPU needed: stand-in selector).</summary>
public sealed class ExtractorLoggingTests
{
    [Fact]
    public void Create_CudaBuildWithoutCudaLibraries_WarnsWithTheLoaderMessage()
    {
        using var loggers = new CapturingLoggerFactory();
        var selector = new DeviceSelector(() => ["CUDAExecutionProvider", "CPUExecutionProvider"],
            (_, _) => throw new DllNotFoundException("libcudnn.so.9: cannot open shared object file"));
        byte[] model = OnnxFeatureExtractor.ReadEmbeddedModel();
        var options = new ExtractorOptions { Logger = loggers.CreateLogger("test") };

        // One model file, no layer-4 part: read it as the layer-3 preset, which needs nothing else.
        using var extractor = OnnxFeatureExtractor.Create(so => new InferenceSession(model, so), "test model", model.Length,
            Backbone.ResNet18Layer3, options, selector);

        Assert.Equal(ExecutionDevice.Cpu, extractor.Device);
        LogRecord warning = Assert.Single(loggers.Records, r => r.Level == LogLevel.Warning);
        Assert.Contains("libcudnn.so.9", warning.Message, StringComparison.Ordinal);
        Assert.Contains(loggers.Records, r => r.EventId.Id == 1 && r.Message.Contains($"({model.Length} bytes)", StringComparison.Ordinal));
    }

    [Fact]
    public void Create_CpuRequested_LogsNoFallback()
    {
        using var loggers = new CapturingLoggerFactory();
        var options = new ExtractorOptions { Device = ExecutionDevice.Cpu, Logger = loggers.CreateLogger("test") };

        using var extractor = OnnxFeatureExtractor.CreateDefault(options);

        Assert.DoesNotContain(loggers.Records, r => r.EventId.Id == 2);
        Assert.Contains(loggers.Records, r => r.EventId.Id == 1 && r.Message.EndsWith("device Cpu: CPU requested", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_NullLogger_ThrowsNamingLogger()
    {
        var e = Assert.Throws<ArgumentNullException>(() => OnnxFeatureExtractor.CreateDefault(new ExtractorOptions { Logger = null! }));
        Assert.Equal("Logger", e.ParamName);
    }
}
