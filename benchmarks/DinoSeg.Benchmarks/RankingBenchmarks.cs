using BenchmarkDotNet.Attributes;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace DinoSeg.Benchmarks;

/// <summary>
/// Graph ranking (<see cref="Propagation.Graph"/>) on real photo features, side by side with what it adds to.
/// <list type="bullet">
/// <item>At the embedded backbone's default size (coffee.png, long side 512): the extraction, the graph build.</item>
/// <item>At a 64 × 64 grid with 1024-d features: coffee.png resized to 1024 × 1024, the layer-3 features (256-d) of the embedded backbone
/// repeated four times (so the graph, and the solve's iterations, are a real photo's, and the similarity pass reads as much
/// memory as a DINOv3 ViT-L's), a plain click against a ranked click, one result reused.</item>
/// </list>
/// </summary>
[MemoryDiagnoser]
public class RankingBenchmarks
{
    private static readonly PixelPoint[] OnTheCup = [new PixelPoint(420, 560)];
    private readonly PixelPoint[] _moving = [new PixelPoint(420, 560)], _pair = [new PixelPoint(420, 560), default];
    private int _click;
    private readonly SimilaritySegmenter _plain = new(SegmentationOptions.Default with { Refinement = Refinement.None, ComputeSoftMask = false, Propagation = Propagation.None });
    private readonly SimilaritySegmenter _ranked = new(SegmentationOptions.Default with { Refinement = Refinement.None, ComputeSoftMask = false, Propagation = Propagation.Graph });
    private OnnxFeatureExtractor _extractor = null!;
    private Image<Rgb24> _photo = null!;
    private PatchFeatures _defaultSize = null!, _wide = null!;
    private SegmentationResult _plainResult = null!, _rankedResult = null!;

    [GlobalSetup]
    public void Setup()
    {
        _extractor = OnnxFeatureExtractor.CreateDefault(new ExtractorOptions { Device = ExecutionDevice.Cpu });
        _photo = Image.Load<Rgb24>(Path.Combine(AppContext.BaseDirectory, "coffee.png"));
        _defaultSize = _extractor.Extract(_photo);

        using var square = _photo.Clone(x => x.Resize(1024, 1024));
        using var extractor1024 = OnnxFeatureExtractor.CreateDefault(Backbone.ResNet18Layer3, new ExtractorOptions { Device = ExecutionDevice.Cpu, LongSide = 1024 });
        PatchFeatures narrow = extractor1024.Extract(square);
        var wide = new float[narrow.PatchCount * narrow.Dim * 4];
        for (int p = 0; p < narrow.PatchCount; p++)
        {
            ReadOnlySpan<float> v = narrow.Vectors.Slice(p * narrow.Dim, narrow.Dim);
            for (int copy = 0; copy < 4; copy++) v.CopyTo(wide.AsSpan((p * 4 + copy) * narrow.Dim, narrow.Dim));
        }

        _wide = PatchFeatures.FromVectors(wide, narrow.Rows, narrow.Cols, narrow.Dim * 4, 16, 1024, 1024, 1024, 1024, "resnet18-x4");
        _ranked.Prepare(_wide);
        _plainResult = new SegmentationResult(_wide);
        _rankedResult = new SegmentationResult(_wide);
        _plain.Segment(_wide, new SegmentationPrompt(OnTheCup), 0.1f, _plainResult);
        _ranked.Segment(_wide, new SegmentationPrompt(OnTheCup), 0.4f, _rankedResult);
        Console.WriteLine($"// ranked click at 64x64: {_rankedResult.Pipeline.RankingIterations} CG iterations; graph of the default size: " +
            $"{PatchGraph.Build(_defaultSize).Edges} edges over {_defaultSize.PatchCount} patches");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _extractor.Dispose();
        _photo.Dispose();
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Per image")]
    public PatchFeatures ExtractDefaultSize() => _extractor.Extract(_photo);

    [Benchmark]
    [BenchmarkCategory("Per image")]
    public PatchGraph BuildGraphDefaultSize() => PatchGraph.Build(_defaultSize);

    /// <summary>The same without the projection (ReducedDimension 256 turns it off for 896-d features): what it saves.</summary>
    [Benchmark]
    [BenchmarkCategory("Per image")]
    public PatchGraph BuildGraphDefaultSizeDirect() => PatchGraph.Build(_defaultSize, GraphOptions.Default with { ReducedDimension = 256 });

    [Benchmark]
    [BenchmarkCategory("Per image")]
    public PatchGraph BuildGraph64x64Wide() => PatchGraph.Build(_wide);

    [Benchmark]
    [BenchmarkCategory("Per click")]
    public int PlainClick64x64()
    {
        _plain.Segment(_wide, new SegmentationPrompt(OnTheCup), 0.1f, _plainResult);
        return _plainResult.SelectedPixels;
    }

    /// <summary>A new seed every call (a walk over the image), so each click solves: a result keeps the solves of recent seeds.</summary>
    [Benchmark]
    [BenchmarkCategory("Per click")]
    public int RankedClick64x64()
    {
        _moving[0] = new PixelPoint((_click++ * 97) % 1024, (_click * 61) % 1024);
        _ranked.Segment(_wide, new SegmentationPrompt(_moving), 0.4f, _rankedResult);
        return _rankedResult.SelectedPixels;
    }

    /// <summary>The protocol's next click: the previous seeds again plus one (the earlier seeds' solves are kept).</summary>
    [Benchmark]
    [BenchmarkCategory("Per click")]
    public int RankedSecondClick64x64()
    {
        _pair[1] = new PixelPoint((_click++ * 97) % 1024, (_click * 61) % 1024);
        _ranked.Segment(_wide, new SegmentationPrompt(_pair), 0.4f, _rankedResult);
        return _rankedResult.SelectedPixels;
    }
}
