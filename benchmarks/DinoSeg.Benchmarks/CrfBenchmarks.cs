using BenchmarkDotNet.Attributes;
using DinoSeg.Crf;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace DinoSeg.Benchmarks;

/// <summary>
/// The fully-connected CRF on the ~1 MP photo of <see cref="GrabCutBenchmarks"/> (coffee.png upscaled to 1224 x 816: a
/// 245 x 164 working grid), with the defaults' ranking and automatic threshold and one result reused: a click with and
/// without the CRF (the one-pass ranked-otsu rule, the default rule's ladder, and its second click), a slider move with the CRF (which reruns it), and the per-image lattice build that the first CRF click
/// pays.
/// </summary>
[MemoryDiagnoser]
public class CrfBenchmarks
{
    private const int Width = 1224, Height = 816;
    private static readonly PixelPoint[] OnTheCup = [new PixelPoint(581, 722)], OnTheCupTwice = [new PixelPoint(581, 722), new PixelPoint(640, 560)];
    private readonly SimilaritySegmenter _plain = new(SegmentationOptions.Default with { Refinement = Refinement.None, ComputeSoftMask = false });
    private readonly SimilaritySegmenter _crf = new(SegmentationOptions.Default with { ComputeSoftMask = false, Refinement = Refinement.DenseCrf });
    private PatchFeatures _features = null!;
    private RefinementGuide _guide = null!;
    private SegmentationResult _plainResult = null!, _crfResult = null!, _laterResult = null!;
    private float _threshold;
    private bool _away;

    [GlobalSetup]
    public void Setup()
    {
        using Image<Rgb24> photo = Image.Load<Rgb24>(Path.Combine(AppContext.BaseDirectory, "evalset-coffee.png"));
        photo.Mutate(x => x.Resize(Width, Height, KnownResamplers.Bicubic));
        using (var extractor = OnnxFeatureExtractor.CreateDefault(new ExtractorOptions { Device = ExecutionDevice.Cpu })) _features = extractor.Extract(photo);
        _guide = RefinementGuide.FromImage(photo);
        _plainResult = new SegmentationResult(_features);
        _crfResult = new SegmentationResult(_features) { Guide = _guide };
        _plain.SegmentAuto(_features, new SegmentationPrompt(OnTheCup), ThresholdRule.RankedOtsu, _plainResult);
        _crf.SegmentAuto(_features, new SegmentationPrompt(OnTheCup), ThresholdRule.RankedOtsu, _crfResult);
        _threshold = _crfResult.Threshold;
        _laterResult = new SegmentationResult(_features) { Guide = _guide };
        _crf.SegmentAuto(_features, new SegmentationPrompt(OnTheCup), ThresholdRule.StableSingleSeed, _laterResult);
        CrfImage image = _guide.CrfImageFor(CrfOptions.Default.BilateralSpatial, CrfOptions.Default.BilateralColor);
        Console.WriteLine($"// CRF grid {image.Width}x{image.Height} (factor {image.Factor}), {image.Lattice.Vertices} lattice vertices");
    }

    [Benchmark(Baseline = true)]
    public int ClickAuto()
    {
        _plain.SegmentAuto(_features, new SegmentationPrompt(OnTheCup), ThresholdRule.RankedOtsu, _plainResult);
        return _plainResult.SelectedPixels;
    }

    [Benchmark]
    public int ClickAutoDenseCrf()
    {
        _crf.SegmentAuto(_features, new SegmentationPrompt(OnTheCup), ThresholdRule.RankedOtsu, _crfResult);
        return _crfResult.SelectedPixels;
    }

    /// <summary>The default click: <see cref="ThresholdRule.StableSingleSeed"/> on one seed, nine CRF runs on its ladder and one at the chosen threshold.</summary>
    [Benchmark]
    public int ClickDefaultRuleDenseCrf()
    {
        _crf.SegmentAuto(_features, new SegmentationPrompt(OnTheCup), ThresholdRule.StableSingleSeed, _crfResult);
        return _crfResult.SelectedPixels;
    }

    /// <summary>
    /// The default rule's second click (a second seed after the one-seed click above, into the same result): the first
    /// seed's ladder threshold is kept, so it is one CRF run at ranked-otsu raised to it, plus the later seed's barrier.
    /// </summary>
    [Benchmark]
    public int SecondClickDefaultRuleDenseCrf()
    {
        _crf.SegmentAuto(_features, new SegmentationPrompt(OnTheCupTwice), ThresholdRule.StableSingleSeed, _laterResult);
        return _laterResult.SelectedPixels;
    }

    /// <summary>A slider move of ±0.02 around the click's threshold: the threshold pass, then the CRF again.</summary>
    [Benchmark]
    public int SliderDenseCrf()
    {
        _away = !_away;
        _crf.Rethreshold(_crfResult, _away ? _threshold + 0.02f : _threshold);
        return _crfResult.SelectedPixels;
    }

    /// <summary>What the first CRF click on an image also pays: the working grid and lattice (cached on the guide after).</summary>
    [Benchmark]
    public int LatticeBuild() =>
        CrfImage.Build(_guide.Rgb, Width, Height, CrfOptions.Default.BilateralSpatial, CrfOptions.Default.BilateralColor).Lattice.Vertices;
}
