using DinoSeg.Kernels;

namespace DinoSeg;

/// <summary>
/// A mask carried into a new frame by <see cref="MaskPropagator"/>: soft labels per patch and per pixel, and the binary mask.
/// Holds its own buffers; passing it back to <see cref="MaskPropagator.Propagate(PatchFeatures, ReadOnlySpan{float}, PatchFeatures, PropagationResult)"/>
/// for frames of the same size reuses them.
/// </summary>
/// <remarks>Not thread-safe: one result per thread. Spans are valid until the result is propagated into again.</remarks>
public sealed class PropagationResult
{
    private readonly float[] _patchLabels;
    private readonly float[] _labels;
    private readonly byte[] _mask;
    private float[] _scratch = [];
    private AxisWeights? _rows, _cols;
    private double _sigma = double.NaN;

    /// <summary>Creates an empty result sized for the frame described by <paramref name="features"/>.</summary>
    public PropagationResult(PatchFeatures features)
    {
        ArgumentNullException.ThrowIfNull(features);
        Grid = features.Grid;
        Width = features.ImageWidth;
        Height = features.ImageHeight;
        _patchLabels = new float[features.PatchCount];
        _labels = new float[Width * Height];
        _mask = new byte[Width * Height];
    }

    /// <summary>Image width in pixels.</summary>
    public int Width { get; }

    /// <summary>Image height in pixels.</summary>
    public int Height { get; }

    /// <summary>How image pixels map onto the patch grid.</summary>
    public PatchGrid Grid { get; }

    /// <summary>Soft label of each patch of the new frame, in [0, 1]: the weighted vote of its top-k matches.</summary>
    public ReadOnlySpan<float> PatchLabels => _patchLabels;

    /// <summary>Soft labels upsampled to image size (and smoothed with <see cref="PropagationOptions.Sigma"/>).</summary>
    public ReadOnlySpan<float> Labels => _labels;

    /// <summary>Binary mask at image size: 255 where <see cref="Labels"/> ≥ <see cref="PropagationOptions.Threshold"/>, else 0.</summary>
    public ReadOnlySpan<byte> Mask => _mask;

    /// <summary>Pixels selected by <see cref="Mask"/>.</summary>
    public int SelectedPixels { get; private set; }

    /// <summary>Fraction of the image selected, in [0, 1].</summary>
    public double AreaFraction => (double)SelectedPixels / ((long)Width * Height);

    internal Span<float> PatchLabelsBuffer => _patchLabels;

    internal bool Fits(PatchFeatures features) => features.Grid == Grid;

    internal void Finish(double sigma, float threshold)
    {
        if (_rows is null || _sigma != sigma)
        {
            _rows = AxisWeights.BilinearThenGaussian(Grid.Rows, Height, sigma);
            _cols = AxisWeights.BilinearThenGaussian(Grid.Cols, Width, sigma);
            _sigma = sigma;
        }

        if (_scratch.Length == 0) _scratch = new float[SeparableFilter.ScratchLength(_rows, _cols!)];
        SeparableFilter.Apply(_patchLabels, _rows, _cols!, _scratch, _labels);
        SelectedPixels = Kernels.Threshold.Apply(_labels, threshold, _mask);
    }
}
