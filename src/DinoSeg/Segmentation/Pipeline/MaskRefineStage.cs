using DinoSeg.Crf;
using DinoSeg.GrabCut;

namespace DinoSeg.Pipeline;

/// <summary>
/// With <see cref="Refinement.GrabCut"/> or <see cref="Refinement.DenseCrf"/>: the thresholded mask replaced by
/// a refinement of the mask itself, after every final threshold (the slider's included, so a slider move costs one more
/// run). The map is left as it is, so the mask is no longer its plain threshold. The solvers' buffers are made on the first
/// refined click and reused.
/// </summary>
internal sealed class MaskRefineStage(ClickBuffers b)
{
    /// <summary>GrabCut rounds at most per click (it stops earlier when no label changes).</summary>
    public const int GrabCutRounds = 5;

    private GrabCutSolver? _grabCut;
    private byte[] _trimap = [];
    private int[] _integral = [];
    private DenseCrfSolver? _crf;
    private RegionFilter? _regions; // drops the regions the CRF made where the map had none

    /// <summary>Rounds of the latest GrabCut refinement (0 when none ran), for diagnostics and benchmarks.</summary>
    public int GrabCutIterations => _grabCut?.Iterations ?? 0;

    /// <summary>Undecided pixels (graph nodes) of the latest GrabCut refinement.</summary>
    public int GrabCutBandPixels => _grabCut?.BandPixels ?? 0;

    /// <summary>The latest CRF run's working-grid probabilities of the object (empty before one), for tests and diagnostics.</summary>
    public ReadOnlySpan<float> CrfProbabilities => _crf is null ? [] : _crf.Probabilities;

    /// <summary>Runs the CRF on the calling thread alone (for tests: the split must not change the result); set before the first CRF click.</summary>
    public bool SequentialCrf { get; set; }

    public void Run(Refinement refinement, RefinementGuide? guide, CrfOptions crf)
    {
        if (refinement == Refinement.GrabCut) RunGrabCut(guide!);
        else if (refinement == Refinement.DenseCrf) RunCrf(guide!, crf);
    }

    /// <summary>
    /// Seeds stamped into the mask (positive as object, negative as not), the trimap from the mask and its band, up to
    /// <see cref="GrabCutRounds"/> GrabCut rounds, the mask rewritten from the labels.
    /// </summary>
    private void RunGrabCut(RefinementGuide guide)
    {
        int width = b.Width, height = b.Height, n = width * height;
        if (_trimap.Length == 0)
        {
            _trimap = new byte[n];
            _integral = new int[Trimap.IntegralLength(width, height)];
            _grabCut = new GrabCutSolver();
        }

        int radius = Trimap.BandRadius(b.Grid), seedRadius = Trimap.SeedRadius(radius);
        Trimap.Stamp(b.Mask, width, height, b.Seeds, seedRadius, 255);
        Trimap.Stamp(b.Mask, width, height, b.NegativeSeeds, seedRadius, 0);
        Trimap.FromMask(b.Mask, width, height, radius, _integral, _trimap);
        Trimap.Stamp(_trimap, width, height, b.Seeds, seedRadius, GrabCutSolver.Foreground);
        Trimap.Stamp(_trimap, width, height, b.NegativeSeeds, seedRadius, GrabCutSolver.Background);
        _grabCut!.Run(guide.Rgb, width, height, guide.Beta, _trimap, GrabCutRounds);
        int selected = 0;
        for (int i = 0; i < n; i++)
        {
            bool on = _trimap[i] is GrabCutSolver.Foreground or GrabCutSolver.ProbablyForeground;
            b.Mask[i] = on ? (byte)255 : (byte)0;
            selected += on ? 1 : 0;
        }

        b.Selected = selected;
        b.MaskIsPlain = false;
    }

    /// <summary>
    /// The CRF's labels: the unary from the map against the threshold, the kernels on the guide's colours, seeds stamped as
    /// sure labels (the squares GrabCut stamps). The guide builds the working grid and lattice once per image.
    /// </summary>
    private void RunCrf(RefinementGuide guide, CrfOptions options)
    {
        _crf ??= new DenseCrfSolver { Sequential = SequentialCrf };
        CrfImage image = guide.CrfImageFor(options.BilateralSpatial, options.BilateralColor);
        int seedRadius = Trimap.SeedRadius(Trimap.BandRadius(b.Grid));
        b.Selected = _crf.Run(image, b.Similarity, b.Width, b.Height, b.Threshold, options, b.Seeds, b.NegativeSeeds, seedRadius, b.Mask);
        if (!options.KeepsNewRegions)
        {
            _regions ??= new RegionFilter();
            b.Selected -= _regions.KeepRegionsReaching(b.Mask, b.Width, b.Height, b.Similarity, b.Threshold, b.Seeds);
        }

        b.MaskIsPlain = false;
    }
}
