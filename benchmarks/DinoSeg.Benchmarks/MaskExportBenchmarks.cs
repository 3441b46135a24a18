using BenchmarkDotNet.Attributes;
using DinoSeg.Masks;

namespace DinoSeg.Benchmarks;

/// <summary>
/// What the mask clean-up adds to a slider move, and what the exports cost, on SliderBenchmarks' scene: coffee.png resized
/// to 1536x1024, features from the embedded backbone (long side 768), one click on the cup (Otsu threshold). Each slider
/// benchmark alternates between the click's threshold and 0.01 above it; the baseline has no clean-up (so it rewrites
/// only the blocks that can change), the others smooth and/or fill holes (which makes every move a full threshold pass).
/// </summary>
[MemoryDiagnoser]
public class MaskCleanupBenchmarks
{
    private SimilaritySegmenter _segmenter = null!;
    private SegmentationResult _result = null!;
    private float _threshold;
    private bool _away;

    [Params("none", "fill-holes", "smooth-4", "smooth-16", "smooth-4+fill-holes")]
    public string CleanUp { get; set; } = "none";

    [GlobalSetup]
    public void Setup()
    {
        PatchFeatures features = BenchmarkPhotos.CoffeeFeatures1536();
        var basis = SegmentationOptions.Default with { Refinement = Refinement.None, ComputeSoftMask = false, Propagation = Propagation.None };
        SegmentationOptions options = CleanUp switch
        {
            "fill-holes" => basis with { FillHolesArea = 5000 },
            "smooth-4" => basis with { SmoothRadius = 4 },
            "smooth-16" => basis with { SmoothRadius = 16 },
            "smooth-4+fill-holes" => basis with { SmoothRadius = 4, FillHolesArea = 5000 },
            _ => basis,
        };
        _segmenter = new SimilaritySegmenter(options);
        _result = new SegmentationResult(features);
        _segmenter.SegmentAuto(features, new SegmentationPrompt([new PixelPoint(620, 560)]), ThresholdRule.Otsu, _result); // on the cup's red glaze
        _threshold = _result.Threshold;
    }

    [Benchmark]
    public int SliderStep()
    {
        _away = !_away;
        _segmenter.Rethreshold(_result, _away ? _threshold + 0.01f : _threshold);
        return _result.SelectedPixels;
    }

}

/// <summary>The exports of the same click's mask (no clean-up): polygons at tolerance 1, and COCO RLE as its compressed string.</summary>
[MemoryDiagnoser]
public class MaskExportBenchmarks
{
    private SegmentationResult _result = null!;

    [GlobalSetup]
    public void Setup()
    {
        PatchFeatures features = BenchmarkPhotos.CoffeeFeatures1536();
        _result = new SegmentationResult(features);
        new SimilaritySegmenter(SegmentationOptions.Default with { Refinement = Refinement.None, ComputeSoftMask = false, Propagation = Propagation.None })
            .SegmentAuto(features, new SegmentationPrompt([new PixelPoint(620, 560)]), ThresholdRule.Otsu, _result);
    }

    [Benchmark]
    public int TracePolygons() => MaskContours.Trace(_result, tolerance: 1).Count;

    [Benchmark]
    public int CocoRleCompressed() => CocoRle.Encode(_result).ToCompressedString().Length;
}
