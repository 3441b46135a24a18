using DinoSeg.GrabCut;

namespace DinoSeg;

public sealed partial class SegmentationResult
{
    private GrabCutSolver? _grabCut;
    private byte[] _trimap = [];
    private int[] _integral = [];

    /// <summary>Rounds of the latest GrabCut refinement (0 when none ran), for diagnostics and benchmarks.</summary>
    internal int GrabCutIterations => _grabCut?.Iterations ?? 0;

    /// <summary>Undecided pixels (graph nodes) of the latest GrabCut refinement.</summary>
    internal int GrabCutBandPixels => _grabCut?.BandPixels ?? 0;

    /// <summary>
    /// Replaces the thresholded mask by its GrabCut refinement: seeds stamped into the mask (positive as object, negative
    /// as not), the trimap from the mask and its band, up to <paramref name="iterations"/> GrabCut rounds, the mask
    /// rewritten from the labels. The map is left as it is, so the mask is no longer its plain threshold.
    /// </summary>
    /// <remarks>Buffers (trimap, integral image, the solver's) are made on the first refined click and reused.</remarks>
    internal void RefineMaskByGrabCut(RefinementGuide guide, int iterations)
    {
        int n = Width * Height;
        if (_trimap.Length == 0)
        {
            _trimap = new byte[n];
            _integral = new int[Trimap.IntegralLength(Width, Height)];
            _grabCut = new GrabCutSolver();
        }

        int radius = Trimap.BandRadius(Grid), seedRadius = Trimap.SeedRadius(radius);
        Trimap.Stamp(_mask, Width, Height, _seeds, seedRadius, 255);
        Trimap.Stamp(_mask, Width, Height, _negativeSeeds, seedRadius, 0);
        Trimap.FromMask(_mask, Width, Height, radius, _integral, _trimap);
        Trimap.Stamp(_trimap, Width, Height, _seeds, seedRadius, GrabCutSolver.Foreground);
        Trimap.Stamp(_trimap, Width, Height, _negativeSeeds, seedRadius, GrabCutSolver.Background);
        _grabCut!.Run(guide.Rgb, Width, Height, guide.Beta, _trimap, iterations);
        int selected = 0;
        for (int i = 0; i < n; i++)
        {
            bool on = _trimap[i] is GrabCutSolver.Foreground or GrabCutSolver.ProbablyForeground;
            _mask[i] = on ? (byte)255 : (byte)0;
            selected += on ? 1 : 0;
        }

        _selected = selected;
        _maskIsPlain = false;
    }
}
