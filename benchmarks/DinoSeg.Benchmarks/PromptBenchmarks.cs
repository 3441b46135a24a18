using BenchmarkDotNet.Attributes;

namespace DinoSeg.Benchmarks;

/// <summary>
/// What each prompt option adds to a click at 1024 x 1024 (dim 1024, σ 4): a plain click, one with two negative seeds
/// (a second upsample of the margin plus the gate), one from a box, one with both region options (labelling the mask),
/// and a threshold change with the region options.
/// </summary>
[MemoryDiagnoser]
public class PromptBenchmarks
{
    private PatchFeatures _features = null!;
    private SegmentationResult _result = null!;
    // The plain cosine pipeline, as these prompt costs were measured from the start (RankingBenchmarks adds the ranking).
    private readonly SimilaritySegmenter _plain = new(SegmentationOptions.Default with { Refinement = Refinement.None, Propagation = Propagation.None });
    private readonly SimilaritySegmenter _regions = new(SegmentationOptions.Default with { Refinement = Refinement.None, Propagation = Propagation.None, KeepSeedRegionsOnly = true, MinRegionArea = 200 });
    private readonly PixelPoint[] _seed = [new(512, 512)];
    private readonly PixelPoint[] _negatives = [new(100, 900), new(900, 100)];
    private int _click;

    [GlobalSetup]
    public void Setup()
    {
        const int size = 1024, rows = size / 16, cols = size / 16, dim = 1024;
        var random = new Random(42);
        var raw = new float[rows * cols * dim];
        for (int i = 0; i < raw.Length; i++) raw[i] = (float)random.NextDouble() - 0.5f;
        _features = PatchFeatures.FromVectors(raw, rows, cols, dim, 16, cols * 16, rows * 16, size, size, "random");
        _result = new SegmentationResult(_features);
        _plain.Segment(_features, new SegmentationPrompt(new PixelRect(200, 200, 800, 800), _seed, _negatives), 0f, _result);
        _regions.Segment(_features, new SegmentationPrompt(_seed, _negatives), 0f, _result);
    }

    private PixelPoint[] NextSeed()
    {
        _seed[0] = new PixelPoint((_click++ * 97) % 1024, (_click * 61) % 1024);
        return _seed;
    }

    [Benchmark(Baseline = true)]
    public int Click()
    {
        _plain.Segment(_features, new SegmentationPrompt(NextSeed()), 0f, _result);
        return _result.SelectedPixels;
    }

    [Benchmark]
    public int ClickWithTwoNegatives()
    {
        _plain.Segment(_features, new SegmentationPrompt(NextSeed(), _negatives), 0f, _result);
        return _result.SelectedPixels;
    }

    [Benchmark]
    public int ClickFromBox()
    {
        int x = (_click++ * 37) % 512;
        _plain.Segment(_features, new SegmentationPrompt(new PixelRect(x, x / 2, x + 400, x / 2 + 300)), 0f, _result);
        return _result.SelectedPixels;
    }

    [Benchmark]
    public int ClickWithRegionOptions()
    {
        _regions.Segment(_features, new SegmentationPrompt(NextSeed()), 0f, _result);
        return _result.SelectedPixels;
    }

    [Benchmark]
    public int ThresholdChangeWithRegionOptions()
    {
        _regions.Rethreshold(_result, (_click++ % 3) * 0.02f);
        return _result.SelectedPixels;
    }
}
