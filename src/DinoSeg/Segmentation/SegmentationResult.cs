using DinoSeg.Kernels;

namespace DinoSeg;

/// <summary>
/// The outcome of one click: similarity at patch and at image resolution, the binary mask, the soft (feathered) mask,
/// the threshold used and the selected area. Holds its own buffers, so passing it back to
/// <see cref="SimilaritySegmenter.Segment(PatchFeatures, ReadOnlySpan{PixelPoint}, float, SegmentationResult)"/> makes the
/// next click allocation-free.
/// </summary>
/// <remarks>Not thread-safe: use one result per thread. Spans are valid until the result is segmented into again.</remarks>
public sealed class SegmentationResult
{
    private readonly float[] _patchSimilarity;
    private readonly float[] _similarity;
    private readonly byte[] _mask;
    private readonly float[] _softMask;
    private readonly List<PixelPoint> _seeds = new(4);
    private float[] _scratch = [];
    private AxisWeights? _upRows, _upCols, _featherRows;
    private float[] _featherKernel = [];

    /// <summary>Creates an empty result sized for <paramref name="features"/>; fill it with <see cref="SimilaritySegmenter"/>.</summary>
    public SegmentationResult(PatchFeatures features)
    {
        ArgumentNullException.ThrowIfNull(features);
        Width = features.ImageWidth;
        Height = features.ImageHeight;
        Grid = features.Grid;
        _patchSimilarity = new float[features.PatchCount];
        _similarity = new float[Width * Height];
        _mask = new byte[Width * Height];
        _softMask = new float[Width * Height];
        Vector = new float[features.Dim];
    }

    /// <summary>Image width in pixels (all full-resolution maps are this wide).</summary>
    public int Width { get; }

    /// <summary>Image height in pixels.</summary>
    public int Height { get; }

    /// <summary>How image pixels map onto the patch grid (seed patch, patch bounds).</summary>
    public PatchGrid Grid { get; }

    /// <summary>Cosine similarity of each patch to the seeds, in [-1, 1], row-major over the grid.</summary>
    public ReadOnlySpan<float> PatchSimilarity => _patchSimilarity;

    /// <summary>Similarity upsampled to image size (and smoothed if <see cref="SegmentationOptions.SimilaritySigma"/> &gt; 0).</summary>
    public ReadOnlySpan<float> Similarity => _similarity;

    /// <summary>Binary mask at image size: 255 where <see cref="Similarity"/> ≥ <see cref="Threshold"/>, else 0.</summary>
    public ReadOnlySpan<byte> Mask => _mask;

    /// <summary>Feathered mask in [0, 1] at image size; empty when <see cref="SegmentationOptions.ComputeSoftMask"/> is off.</summary>
    public ReadOnlySpan<float> SoftMask => HasSoftMask ? _softMask : [];

    /// <summary>Whether <see cref="SoftMask"/> was computed.</summary>
    public bool HasSoftMask { get; internal set; }

    /// <summary>Threshold that produced <see cref="Mask"/>.</summary>
    public float Threshold { get; internal set; }

    /// <summary>Pixels selected by <see cref="Mask"/>.</summary>
    public int SelectedPixels { get; internal set; }

    /// <summary>Fraction of the image selected, in [0, 1].</summary>
    public double AreaFraction => (double)SelectedPixels / (Width * Height);

    /// <summary>The positive seeds of this result, in image pixels.</summary>
    public IReadOnlyList<PixelPoint> Seeds => _seeds;

    internal float[] Vector { get; }

    internal Span<float> PatchSimilarityBuffer => _patchSimilarity;

    internal Span<float> SimilarityBuffer => _similarity;

    internal Span<byte> MaskBuffer => _mask;

    internal Span<float> SoftMaskBuffer => _softMask;

    internal List<PixelPoint> SeedList => _seeds;

    internal bool Fits(PatchFeatures features) =>
        features.Grid == Grid && features.Dim == Vector.Length;

    /// <summary>Upsample-and-smooth weights, rebuilt only when σ changes.</summary>
    internal (AxisWeights Rows, AxisWeights Cols) UpsampleWeights(double sigma)
    {
        if (_upRows is null || _upSigma != sigma)
        {
            _upRows = AxisWeights.BilinearThenGaussian(Grid.Rows, Height, sigma);
            _upCols = AxisWeights.BilinearThenGaussian(Grid.Cols, Width, sigma);
            _upSigma = sigma;
        }

        return (_upRows, _upCols!);
    }

    private double _upSigma = double.NaN;
    private double _featherSigma = double.NaN;

    internal (AxisWeights Rows, float[] Kernel) FeatherWeights(double sigma)
    {
        if (_featherRows is null || _featherSigma != sigma)
        {
            _featherRows = AxisWeights.Gaussian(Height, sigma);
            _featherKernel = Array.ConvertAll(AxisWeights.GaussianKernel(sigma), w => (float)w);
            _featherSigma = sigma;
        }

        return (_featherRows, _featherKernel);
    }

    internal Span<float> Scratch(int length)
    {
        if (_scratch.Length < length) _scratch = new float[length];
        return _scratch.AsSpan(0, length);
    }
}
