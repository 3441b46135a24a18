using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace DinoSeg.Benchmarks;

/// <summary>
/// Feature extraction with the embedded backbone, the earlier and the current default side by side:
/// <see cref="Backbone.ResNet18Layer3"/> (layer 3 alone, 256-d, working sides multiples of 16: the first model only) and
/// <see cref="Backbone.ResNet18"/> (layers 2, 3 and 4 fused, 896-d, multiples of 32: both models, then the fusion). Each
/// gets the photo already at its own working size, so no resize is timed. The baseline is a bare InferenceSession.Run of
/// the first model on the layer-3 input: the difference to <see cref="Layer3Extract"/> is the library's own overhead.
/// </summary>
[MemoryDiagnoser]
public class ExtractionBenchmarks
{
    private OnnxFeatureExtractor _layer3 = null!;
    private OnnxFeatureExtractor _fused = null!;
    private InferenceSession _session = null!;
    private Image<Rgb24> _layer3Image = null!;
    private Image<Rgb24> _fusedImage = null!;
    private OrtValue _input = null!;
    private string _inputName = "";
    private readonly RunOptions _runOptions = new();

    [Params(512, 768)]
    public int LongSide { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var options = new ExtractorOptions { Device = ExecutionDevice.Cpu, LongSide = LongSide };
        _layer3 = OnnxFeatureExtractor.CreateDefault(Backbone.ResNet18Layer3, options);
        _fused = OnnxFeatureExtractor.CreateDefault(Backbone.ResNet18, options);
        using var photo = Image.Load<Rgb24>(Path.Combine(AppContext.BaseDirectory, "coffee.png"));
        _layer3Image = AtWorkingSize(photo, _layer3);
        _fusedImage = AtWorkingSize(photo, _fused);
        _session = new InferenceSession(OnnxFeatureExtractor.ReadEmbeddedModel());
        _inputName = _session.InputMetadata.Keys.Single();
        // The bare run gets exactly the tensor the library builds for the layer-3 image, and fetches layer 3 only.
        var data = new float[3 * _layer3Image.Width * _layer3Image.Height];
        Preprocessing.WriteNchw(_layer3Image, _layer3Image.Width, _layer3Image.Height, Backbone.ResNet18, data);
        _input = OrtValue.CreateTensorValueFromMemory(data, [1, 3, _layer3Image.Height, _layer3Image.Width]);
    }

    private static Image<Rgb24> AtWorkingSize(Image<Rgb24> photo, OnnxFeatureExtractor extractor)
    {
        var (width, height) = extractor.WorkingSizeFor(photo.Width, photo.Height);
        return photo.Clone(x => x.Resize(width, height));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _input.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
        _layer3.Dispose();
        _fused.Dispose();
        _layer3Image.Dispose();
        _fusedImage.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void BareRun()
    {
        using var outputs = _session.Run(_runOptions, [_inputName], [_input], ["ReLU347_Output_0"]);
    }

    /// <summary>The earlier default: layer 3 alone.</summary>
    [Benchmark]
    public PatchFeatures Layer3Extract() => _layer3.Extract(_layer3Image);

    /// <summary>The current default: layers 2, 3 and 4 fused.</summary>
    [Benchmark]
    public PatchFeatures FusedExtract() => _fused.Extract(_fusedImage);
}
