using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace DinoSeg.Benchmarks;

/// <summary>
/// Feature extraction with the embedded backbone: the library's Extract (normalise into a pooled buffer, run, copy out,
/// centre, L2-normalise) against a bare InferenceSession.Run on an input tensor prepared once. The image is already at
/// the working size, so no resize is timed; the difference is the library's own overhead.
/// </summary>
[MemoryDiagnoser]
public class ExtractionBenchmarks
{
    private OnnxFeatureExtractor _extractor = null!;
    private InferenceSession _session = null!;
    private Image<Rgb24> _image = null!;
    private OrtValue _input = null!;
    private string _inputName = "";
    private readonly RunOptions _runOptions = new();

    [Params(448, 768)]
    public int LongSide { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _extractor = OnnxFeatureExtractor.CreateDefault(new ExtractorOptions { Device = ExecutionDevice.Cpu, LongSide = LongSide });
        using var photo = Image.Load<Rgb24>(Path.Combine(AppContext.BaseDirectory, "coffee.png"));
        var (width, height) = _extractor.WorkingSizeFor(photo.Width, photo.Height);
        _image = photo.Clone(x => x.Resize(width, height));
        _session = new InferenceSession(OnnxFeatureExtractor.ReadEmbeddedModel());
        _inputName = _session.InputMetadata.Keys.Single();
        // The bare run gets exactly the tensor the library builds for this image.
        var data = new float[3 * width * height];
        Preprocessing.WriteNchw(_image, width, height, Backbone.ResNet18, data);
        _input = OrtValue.CreateTensorValueFromMemory(data, [1, 3, height, width]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _input.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
        _extractor.Dispose();
        _image.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void BareRun()
    {
        using var outputs = _session.Run(_runOptions, [_inputName], [_input], _session.OutputNames);
    }

    [Benchmark]
    public PatchFeatures LibraryExtract() => _extractor.Extract(_image);
}
