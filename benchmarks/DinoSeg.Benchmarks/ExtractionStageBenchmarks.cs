using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace DinoSeg.Benchmarks;

/// <summary>
/// The library's own work around the ORT run at the embedded backbone's 768-px working size: pixels → normalised planes
/// (scalar loop vs the shuffling kernel), the output feature map → centred patch-major vectors, and the default backbone's
/// fusion of its three maps (layer 2 pooled, layer 3, layer 4 upsampled) into 896-d vectors.
/// </summary>
[MemoryDiagnoser]
public class ExtractionStageBenchmarks
{
    private const int Dim = 256;
    private Image<Rgb24> _image = null!;
    private float[] _input = [];
    private float[] _map = [];
    private float[] _vectors = [];
    private float[] _layer2 = [], _layer4 = [], _fused = [];
    private int _width, _height;

    [GlobalSetup]
    public void Setup()
    {
        using var photo = Image.Load<Rgb24>(Path.Combine(AppContext.BaseDirectory, "coffee.png"));
        (_width, _height) = Preprocessing.WorkingSize(photo.Width, photo.Height, 768, 16);
        _image = photo.Clone(x => x.Resize(_width, _height));
        _input = new float[3 * _width * _height];
        var random = new Random(42);
        _map = new float[Dim * (_width / 16) * (_height / 16)];
        for (int i = 0; i < _map.Length; i++) _map[i] = random.NextSingle();
        _vectors = new float[_map.Length];
        int patches = (_width / 16) * (_height / 16);
        _layer2 = new float[128 * 4 * patches];
        _layer4 = new float[512 * patches / 4];
        for (int i = 0; i < _layer2.Length; i++) _layer2[i] = random.NextSingle();
        for (int i = 0; i < _layer4.Length; i++) _layer4[i] = random.NextSingle();
        _fused = new float[896 * patches];
    }

    [GlobalCleanup]
    public void Cleanup() => _image.Dispose();

    /// <summary>The per-pixel loop the library used before (scale and offset already folded per plane).</summary>
    [Benchmark(Baseline = true)]
    public void PlanesScalar()
    {
        Backbone b = Backbone.ResNet18;
        int plane = _width * _height;
        float s0 = 1 / b.Std[2], s1 = 1 / b.Std[1], s2 = 1 / b.Std[0];
        float f0 = -b.Mean[2] / b.Std[2], f1 = -b.Mean[1] / b.Std[1], f2 = -b.Mean[0] / b.Std[0];
        for (int y = 0; y < _height; y++)
        {
            ReadOnlySpan<byte> row = MemoryMarshal.AsBytes(_image.DangerousGetPixelRowMemory(y).Span);
            Span<float> q0 = _input.AsSpan(y * _width, _width), q1 = _input.AsSpan(plane + y * _width, _width), q2 = _input.AsSpan(2 * plane + y * _width, _width);
            for (int x = 0; x < _width; x++)
            {
                int i = 3 * x;
                q0[x] = row[i + 2] * s0 + f0;
                q1[x] = row[i + 1] * s1 + f1;
                q2[x] = row[i] * s2 + f2;
            }
        }
    }

    [Benchmark]
    public void PlanesLibrary() => Preprocessing.WriteNchw(_image, _width, _height, Backbone.ResNet18, _input);

    [Benchmark]
    public void MapToCentredVectors() => FeatureLayout.ChannelMajorToPatchMajor(_map, Dim, _map.Length / Dim, centre: true, _vectors);

    /// <summary>What <see cref="Backbone.ResNet18"/> adds after the runs: three blocks written, centred, normalised and weighted.</summary>
    [Benchmark]
    public void FuseThreeBlocks()
    {
        int rows = _height / 16, cols = _width / 16;
        BlockFusion.WriteBlock(_layer2, 128, 2 * rows, 2 * cols, rows, cols, true, 0.5f, _fused, 896, 0);
        BlockFusion.WriteBlock(_map, Dim, rows, cols, rows, cols, true, 1f, _fused, 896, 128);
        BlockFusion.WriteBlock(_layer4, 512, rows / 2, cols / 2, rows, cols, true, 0.5f, _fused, 896, 384);
    }
}
