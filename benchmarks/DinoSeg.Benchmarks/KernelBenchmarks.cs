using BenchmarkDotNet.Attributes;
using DinoSeg.Kernels;
using DinoSeg.Tests;

namespace DinoSeg.Benchmarks;

/// <summary>Each per-click kernel against the scalar reference the tests check it with (Baseline).</summary>
[MemoryDiagnoser]
public class SeedSimilarityBenchmarks
{
    private float[] _vectors = [];
    private float[] _seed = [];
    private float[] _destination = [];

    [Params(1024)]
    public int Dim { get; set; }

    [Params(4096)]
    public int Patches { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _vectors = Enumerable.Range(0, Dim * Patches).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        _seed = _vectors[..Dim];
        _destination = new float[Patches];
    }

    [Benchmark(Baseline = true)]
    public void Scalar()
    {
        for (int p = 0; p < Patches; p++) _destination[p] = (float)ScalarReference.Cosine(_vectors.AsSpan(p * Dim, Dim), _seed);
    }

    [Benchmark]
    public void Simd() => SeedSimilarity.Compute(_vectors, _seed, _destination);
}

[MemoryDiagnoser]
public class ThresholdBenchmarks
{
    private float[] _map = [];
    private byte[] _mask = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _map = Enumerable.Range(0, 1024 * 1024).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
        _mask = new byte[_map.Length];
    }

    [Benchmark(Baseline = true)]
    public int Scalar() => ScalarReference.Threshold(_map, 0.3f, _mask);

    [Benchmark]
    public int Simd() => Threshold.Apply(_map, 0.3f, _mask);
}

/// <summary>Upsampling 64x64 patches to 1024x1024 and smoothing with σ: full-resolution reference vs the fused separable pass.</summary>
[MemoryDiagnoser]
public class UpsampleBlurBenchmarks
{
    private float[] _low = [];
    private float[] _scratch = [];
    private float[] _destination = [];
    private AxisWeights _rows = null!, _cols = null!;

    [Params(1.0, 4.0, 16.0)]
    public double Sigma { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _low = Enumerable.Range(0, 64 * 64).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
        _rows = AxisWeights.BilinearThenGaussian(64, 1024, Sigma);
        _cols = AxisWeights.BilinearThenGaussian(64, 1024, Sigma);
        _scratch = new float[SeparableFilter.ScratchLength(_rows, _cols)];
        _destination = new float[1024 * 1024];
    }

    [Benchmark(Baseline = true)]
    public double[] ScalarUpsampleThenBlur() => ScalarReference.UpsampleThenBlur(_low, 64, 64, 1024, 1024, Sigma);

    [Benchmark]
    public void Fused() => SeparableFilter.Apply(_low, _rows, _cols, _scratch, _destination);
}

/// <summary>The soft mask's full-resolution blur at 1024x1024.</summary>
[MemoryDiagnoser]
public class GaussianBlurBenchmarks
{
    private float[] _map = [];
    private float[] _scratch = [];
    private float[] _destination = [];
    private float[] _kernel = [];
    private AxisWeights _rows = null!;

    [Params(2.0)]
    public double Sigma { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _map = Enumerable.Range(0, 1024 * 1024).Select(_ => random.Next(2) * 1f).ToArray();
        _rows = AxisWeights.Gaussian(1024, Sigma);
        _kernel = Array.ConvertAll(AxisWeights.GaussianKernel(Sigma), w => (float)w);
        _scratch = new float[GaussianBlur.ScratchLength(1024, 1024, Sigma)];
        _destination = new float[_map.Length];
    }

    [Benchmark(Baseline = true)]
    public double[] Scalar() => ScalarReference.GaussianBlur(_map, 1024, 1024, Sigma);

    [Benchmark]
    public void Simd() => GaussianBlur.Apply(_map, _rows, _kernel, 1024, _scratch, _destination);
}
