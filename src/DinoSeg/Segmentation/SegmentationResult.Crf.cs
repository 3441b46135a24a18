using DinoSeg.Crf;
using DinoSeg.GrabCut;

namespace DinoSeg;

public sealed partial class SegmentationResult
{
    private DenseCrfSolver? _crf;

    /// <summary>The latest CRF run's working-grid probabilities of the object (empty before one), for tests and diagnostics.</summary>
    internal ReadOnlySpan<float> CrfProbabilities => _crf is null ? [] : _crf.Probabilities;

    /// <summary>Runs the CRF refinement on the calling thread alone (for tests: the split must not change the result).</summary>
    internal bool SequentialCrf { get; init; }

    /// <summary>
    /// Replaces the thresholded mask by the CRF's labels: the unary from <see cref="Similarity"/> against
    /// <see cref="Threshold"/>, the kernels on the guide's colours, seeds stamped as sure labels (the squares GrabCut stamps).
    /// The map is left as it is, so the mask is no longer its plain threshold.
    /// </summary>
    /// <remarks>The guide builds the working grid and lattice once per image; the solver's buffers are made on the first refined click and reused.</remarks>
    internal void RefineMaskByCrf(RefinementGuide guide, CrfOptions options)
    {
        _crf ??= new DenseCrfSolver { Sequential = SequentialCrf };
        CrfImage image = guide.CrfImageFor(options.BilateralSpatial, options.BilateralColor);
        int seedRadius = Trimap.SeedRadius(Trimap.BandRadius(Grid));
        _selected = _crf.Run(image, _similarity, Width, Height, Threshold, options, _seeds, _negativeSeeds, seedRadius, _mask);
        _maskIsPlain = false;
    }
}
