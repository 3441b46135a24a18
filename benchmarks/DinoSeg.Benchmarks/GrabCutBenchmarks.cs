using BenchmarkDotNet.Attributes;
using DinoSeg.GrabCut;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace DinoSeg.Benchmarks;

/// <summary>
/// GrabCut refinement on a ~1 MP photo (the evaluation set's coffee.png upscaled to 1224 x 816, embedded backbone at its
/// default size), beside the plain and the guided-filter click, all with the automatic threshold and one result reused; and
/// the GrabCut solver alone on a fixed trimap, for the comparison with OpenCV's <c>cv2.grabCut</c>. With
/// <c>DINOSEG_GRABCUT_1MP=DIR</c> the photo and the trimap are the files that
/// <c>tools/reference/make_grabcut_references.py --time DIR</c> wrote and timed OpenCV on (the same input on both sides);
/// without it the photo is upscaled here and the trimap derived from the plain click's mask.
/// </summary>
[MemoryDiagnoser]
public class GrabCutBenchmarks
{
    private const int Width = 1224, Height = 816;
    private static readonly PixelPoint[] OnTheCup = [new PixelPoint(581, 722)];
    private readonly SimilaritySegmenter _plain = new(SegmentationOptions.Default with { Refinement = Refinement.None, ComputeSoftMask = false });
    private readonly SimilaritySegmenter _guided = new(SegmentationOptions.Default with { ComputeSoftMask = false, Refinement = Refinement.GuidedFilter });
    private readonly SimilaritySegmenter _grabCut = new(SegmentationOptions.Default with { ComputeSoftMask = false, Refinement = Refinement.GrabCut });
    private readonly GrabCutSolver _solver = new();
    private PatchFeatures _features = null!;
    private RefinementGuide _guide = null!;
    private SegmentationResult _plainResult = null!, _guidedResult = null!, _grabCutResult = null!;
    private byte[] _trimap = [], _work = [];

    [GlobalSetup]
    public void Setup()
    {
        string? dir = Environment.GetEnvironmentVariable("DINOSEG_GRABCUT_1MP");
        using Image<Rgb24> photo = Image.Load<Rgb24>(dir is null ? Path.Combine(AppContext.BaseDirectory, "evalset-coffee.png") : Path.Combine(dir, "grabcut-1mp.png"));
        if (dir is null) photo.Mutate(x => x.Resize(Width, Height, KnownResamplers.Bicubic));
        using (var extractor = OnnxFeatureExtractor.CreateDefault(new ExtractorOptions { Device = ExecutionDevice.Cpu })) _features = extractor.Extract(photo);
        _guide = RefinementGuide.FromImage(photo);
        _plainResult = new SegmentationResult(_features);
        _guidedResult = new SegmentationResult(_features) { Guide = _guide };
        _grabCutResult = new SegmentationResult(_features) { Guide = _guide };
        _plain.SegmentAuto(_features, new SegmentationPrompt(OnTheCup), ThresholdRule.Otsu, _plainResult);
        _guided.SegmentAuto(_features, new SegmentationPrompt(OnTheCup), ThresholdRule.Otsu, _guidedResult);
        _grabCut.SegmentAuto(_features, new SegmentationPrompt(OnTheCup), ThresholdRule.Otsu, _grabCutResult);

        _trimap = new byte[Width * Height];
        if (dir is null)
        {
            Trimap.FromMask(_plainResult.Mask, Width, Height, Trimap.BandRadius(Width, Height), new int[Trimap.IntegralLength(Width, Height)], _trimap);
        }
        else
        {
            using var codes = Image.Load<L8>(Path.Combine(dir, "grabcut-1mp.trimap.png"));
            codes.CopyPixelDataTo(_trimap);
            for (int i = 0; i < _trimap.Length; i++) _trimap[i] /= 85;
        }

        _work = new byte[_trimap.Length];
        Console.WriteLine($"// GrabCut click: band {_grabCutResult.Pipeline.GrabCutBandPixels} px, {_grabCutResult.Pipeline.GrabCutIterations} rounds; " +
            $"trimap {(dir is null ? "from the plain mask" : "from " + dir)}, β {_guide.Beta:G4}");
    }

    [Benchmark(Baseline = true)]
    public int ClickAuto()
    {
        _plain.SegmentAuto(_features, new SegmentationPrompt(OnTheCup), ThresholdRule.Otsu, _plainResult);
        return _plainResult.SelectedPixels;
    }

    [Benchmark]
    public int ClickAutoGuidedFilter()
    {
        _guided.SegmentAuto(_features, new SegmentationPrompt(OnTheCup), ThresholdRule.Otsu, _guidedResult);
        return _guidedResult.SelectedPixels;
    }

    [Benchmark]
    public int ClickAutoGrabCut()
    {
        _grabCut.SegmentAuto(_features, new SegmentationPrompt(OnTheCup), ThresholdRule.Otsu, _grabCutResult);
        return _grabCutResult.SelectedPixels;
    }

    /// <summary>The solver on the fixed trimap, all 5 rounds like <c>cv2.grabCut(…, 5, GC_INIT_WITH_MASK)</c>.</summary>
    [Benchmark]
    public bool SolverFiveRounds()
    {
        _trimap.CopyTo(_work, 0);
        return _solver.Run(_guide.Rgb, Width, Height, _guide.Beta, _work, 5, stopWhenStable: false);
    }

    /// <summary>The same, stopping after a round that changed no label (what a click does).</summary>
    [Benchmark]
    public bool SolverUntilStable()
    {
        _trimap.CopyTo(_work, 0);
        return _solver.Run(_guide.Rgb, Width, Height, _guide.Beta, _work, 5);
    }
}
