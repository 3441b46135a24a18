using BenchmarkDotNet.Attributes;

namespace DinoSeg.Benchmarks;

/// <summary>
/// A whole click (similarity → upsample and smooth → threshold → mask) and a threshold change, reusing one result.
/// Features stay in cache here (BenchmarkDotNet repeats the call); `dinoseg bench` measures them evicted.
/// </summary>
[MemoryDiagnoser]
public class ClickBenchmarks
{
    private PatchFeatures _features = null!;
    private SegmentationResult _result = null!;
    // The plain cosine click (the kernels' cost); RankingBenchmarks puts the default ranked click beside it.
    private readonly SimilaritySegmenter _segmenter = new(SegmentationOptions.Default with { Refinement = Refinement.None, Propagation = Propagation.None });
    private readonly PixelPoint[] _seed = new PixelPoint[1];
    private int _click;

    [Params("1024x1024", "3840x2160")]
    public string Size { get; set; } = "1024x1024";

    [GlobalSetup]
    public void Setup()
    {
        int width = int.Parse(Size.Split('x')[0]), height = int.Parse(Size.Split('x')[1]);
        int rows = height / 16, cols = width / 16;
        var random = new Random(42);
        var raw = new float[rows * cols * 1024];
        for (int i = 0; i < raw.Length; i++) raw[i] = (float)random.NextDouble() - 0.5f;
        _features = PatchFeatures.FromVectors(raw, rows, cols, 1024, 16, cols * 16, rows * 16, width, height, "random");
        _result = new SegmentationResult(_features);
        _seed[0] = new PixelPoint(width / 2, height / 2);
        _segmenter.Segment(_features, new SegmentationPrompt(_seed), 0.1f, _result);
    }

    [Benchmark]
    public int Click()
    {
        _seed[0] = new PixelPoint((_click++ * 97) % _features.ImageWidth, (_click * 61) % _features.ImageHeight);
        _segmenter.Segment(_features, new SegmentationPrompt(_seed), 0.1f, _result);
        return _result.SelectedPixels;
    }

    [Benchmark]
    public int ThresholdChange()
    {
        _segmenter.Rethreshold(_result, (_click++ % 3) * 0.2f);
        return _result.SelectedPixels;
    }
}
