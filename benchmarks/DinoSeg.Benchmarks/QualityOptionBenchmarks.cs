using BenchmarkDotNet.Attributes;

namespace DinoSeg.Benchmarks;

/// <summary>
/// What the quality options cost per click at 1024x1024 (DINOv3-L-sized random features, one result reused): the plain
/// click, the click with an automatic threshold (Otsu on the map), and the click with guided-filter refinement (radius 16).
/// </summary>
[MemoryDiagnoser]
public class QualityOptionBenchmarks
{
    private const int Size = 1024;
    private PatchFeatures _features = null!;
    private SegmentationResult _plainResult = null!, _refinedResult = null!;
    private readonly SimilaritySegmenter _plain = new(SegmentationOptions.Default with { Refinement = Refinement.None, ComputeSoftMask = false, Propagation = Propagation.None });
    private readonly SimilaritySegmenter _refined = new(SegmentationOptions.Default with
    {
        ComputeSoftMask = false,
        Propagation = Propagation.None,
        Refinement = Refinement.GuidedFilter,
        RefineRadius = 16,
        RefineEpsilon = 0.01,
    });
    private readonly PixelPoint[] _seed = new PixelPoint[1];
    private int _click;

    [GlobalSetup]
    public void Setup()
    {
        const int cells = Size / 16;
        var random = new Random(42);
        var raw = new float[cells * cells * 1024];
        for (int i = 0; i < raw.Length; i++) raw[i] = (float)random.NextDouble() - 0.5f;
        _features = PatchFeatures.FromVectors(raw, cells, cells, 1024, 16, Size, Size, Size, Size, "random");
        var grey = new float[Size * Size];
        for (int i = 0; i < grey.Length; i++) grey[i] = (float)random.NextDouble();
        _plainResult = new SegmentationResult(_features);
        _refinedResult = new SegmentationResult(_features) { Guide = RefinementGuide.FromGrey(grey, Size, Size) };
        _seed[0] = new PixelPoint(Size / 2, Size / 2);
        _plain.Segment(_features, new SegmentationPrompt(_seed), 0.1f, _plainResult);
        _refined.Segment(_features, new SegmentationPrompt(_seed), 0.1f, _refinedResult); // guide statistics for radius 16, scratch buffers
    }

    private ReadOnlySpan<PixelPoint> NextSeed()
    {
        _seed[0] = new PixelPoint((_click++ * 97) % Size, (_click * 61) % Size);
        return _seed;
    }

    [Benchmark(Baseline = true)]
    public int Click()
    {
        _plain.Segment(_features, new SegmentationPrompt(NextSeed()), 0.1f, _plainResult);
        return _plainResult.SelectedPixels;
    }

    [Benchmark]
    public int ClickAutoThreshold()
    {
        _plain.SegmentAuto(_features, new SegmentationPrompt(NextSeed()), ThresholdRule.Otsu, _plainResult);
        return _plainResult.SelectedPixels;
    }

    [Benchmark]
    public int ClickGuidedFilter()
    {
        _refined.Segment(_features, new SegmentationPrompt(NextSeed()), 0.1f, _refinedResult);
        return _refinedResult.SelectedPixels;
    }
}
