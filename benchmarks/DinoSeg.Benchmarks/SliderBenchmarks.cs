using BenchmarkDotNet.Attributes;
using DinoSeg.Kernels;
using DinoSeg.Parallel;

namespace DinoSeg.Benchmarks;

/// <summary>
/// The slider on a real photo's map, where object edges run through many blocks: coffee.png resized to 1536x1024, features
/// from the embedded backbone (long side 768), one click on the cup with the automatic (Otsu) threshold. A slider step
/// (±0.01) and a jump (±0.2) from that threshold, against a full threshold pass over the map split over the same workers
/// (what every move did before the block bounds).
/// </summary>
[MemoryDiagnoser]
public class SliderBenchmarks : IRangeJob
{
    private readonly SimilaritySegmenter _segmenter = new(SegmentationOptions.Default with { Refinement = Refinement.None, ComputeSoftMask = false, Propagation = Propagation.None });
    private SegmentationResult _result = null!;
    private byte[] _mask = [];
    private float _threshold;
    private bool _away;

    [GlobalSetup]
    public void Setup()
    {
        PatchFeatures features = BenchmarkPhotos.CoffeeFeatures1536();
        _result = new SegmentationResult(features);
        _segmenter.SegmentAuto(features, new SegmentationPrompt([new PixelPoint(620, 560)]), ThresholdRule.Otsu, _result); // on the cup's red glaze
        _threshold = _result.Threshold;
        _mask = new byte[_result.Similarity.Length];
    }

    [Benchmark(Baseline = true)]
    public int FullPass()
    {
        RangeWorkers.Shared.For(this, _result.Height, Math.Max(1, 65536 / _result.Width));
        return _mask[0];
    }

    /// <summary>The full pass over rows [start, end), as the slider ran it before.</summary>
    public void Run(int start, int end)
    {
        int width = _result.Width;
        Threshold.Apply(_result.Similarity.Slice(start * width, (end - start) * width), _threshold, _mask.AsSpan(start * width, (end - start) * width));
    }

    [Benchmark]
    public int Step() => Move(0.01f);

    [Benchmark]
    public int Jump() => Move(0.2f);

    // Alternates between the click's threshold and one `by` above it, so every call is a real move.
    private int Move(float by)
    {
        _away = !_away;
        _segmenter.Rethreshold(_result, _away ? _threshold + by : _threshold);
        return _result.SelectedPixels;
    }
}
