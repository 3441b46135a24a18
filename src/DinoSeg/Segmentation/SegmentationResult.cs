using DinoSeg.Kernels;
using DinoSeg.Parallel;

namespace DinoSeg;

/// <summary>
/// The outcome of one click: similarity at patch and at image resolution, the binary mask, the soft (feathered) mask,
/// the threshold used and the selected area. Holds its own buffers, so passing it back to
/// <see cref="SimilaritySegmenter.Segment(PatchFeatures, ReadOnlySpan{PixelPoint}, ReadOnlySpan{PixelPoint}, float, SegmentationResult)"/>
/// makes the next click allocation-free.
/// </summary>
/// <remarks>
/// Not thread-safe: use one result per thread. Spans are valid until the result is segmented into again. The soft mask is
/// computed on first read after each click or threshold change (it costs a full-resolution blur that a click need not pay).
/// </remarks>
public sealed partial class SegmentationResult
{
    // Intermediate rows are padded so rows a multiple of 4 KiB apart do not map to the same cache sets.
    private const int RowPadding = 16;

    private readonly float[] _patchSimilarity;
    private readonly float[] _negativeSimilarity;
    private readonly float[] _patchMargin;
    private readonly float[] _similarity;
    private readonly byte[] _mask;
    private readonly float[] _softMask;
    private readonly List<PixelPoint> _seeds = new(4);
    private readonly List<PixelPoint> _negativeSeeds = new(4);
    private readonly int _stride;
    private float[] _horizontal = [];
    private float[] _margin = [];
    private GraphRanking? _ranking;
    private AxisWeights? _upRows, _upCols, _featherRows;
    private float[] _featherKernel = [];
    private double _upSigma = double.NaN, _featherSigma = double.NaN;
    private bool _softMaskStale;
    private int _selected;
    // Per row, the minimum and the maximum of each 64-pixel block of the map (Threshold.Bounds), so a threshold change
    // rewrites only the blocks that hold a value between the old and the new threshold.
    private float[] _bounds = [];
    private readonly int _boundsStride;
    private bool _boundsCurrent; // _bounds describe the map as it is now
    private bool _maskIsPlain;   // the mask is exactly map ≥ Threshold (no region was removed from it)
    private readonly Jobs _jobs;
    private RegionFilter? _regions;
    private MaskSmoothing? _smoothing;

    /// <summary>Creates an empty result sized for <paramref name="features"/>; fill it with <see cref="SimilaritySegmenter"/>.</summary>
    public SegmentationResult(PatchFeatures features)
    {
        ArgumentNullException.ThrowIfNull(features);
        Width = features.ImageWidth;
        Height = features.ImageHeight;
        Grid = features.Grid;
        _stride = Width + RowPadding;
        _boundsStride = Kernels.Threshold.BoundsLength(Width);
        _patchSimilarity = new float[features.PatchCount];
        _negativeSimilarity = new float[features.PatchCount];
        _patchMargin = new float[features.PatchCount];
        _similarity = new float[Width * Height];
        _mask = new byte[Width * Height];
        _softMask = new float[Width * Height];
        Vector = new float[features.Dim];
        BoxVector = new float[features.Dim];
        _jobs = new Jobs(this);
    }

    /// <summary>Image width in pixels (all full-resolution maps are this wide).</summary>
    public int Width { get; }

    /// <summary>Image height in pixels.</summary>
    public int Height { get; }

    /// <summary>How image pixels map onto the patch grid (seed patch, patch bounds).</summary>
    public PatchGrid Grid { get; }

    /// <summary>
    /// The value <see cref="Similarity"/> holds where the prompt rules a pixel out (it is at least as close to the negative
    /// seeds as to the positive ones, or lies outside <see cref="BoxLimit"/>): below every threshold, so no threshold selects it.
    /// </summary>
    public const float Excluded = -2f;

    /// <summary>
    /// Cosine similarity of each patch to the positive seeds (combined by <see cref="SegmentationOptions.SeedCombine"/>), in
    /// [-1, 1], row-major over the grid; with <see cref="Propagation.Graph"/>, that similarity ranked over the patch graph,
    /// in [0, 1] with the seed patches at 1.
    /// </summary>
    public ReadOnlySpan<float> PatchSimilarity => _patchSimilarity;

    /// <summary>
    /// Per patch, the highest cosine similarity to any negative seed, in [-1, 1], row-major over the grid (ranked like
    /// <see cref="PatchSimilarity"/> with <see cref="Propagation.Graph"/>); empty without negative seeds.
    /// </summary>
    public ReadOnlySpan<float> NegativePatchSimilarity => _negativeSeeds.Count == 0 ? [] : _negativeSimilarity;

    /// <summary>
    /// Similarity to the positive seeds upsampled to image size (and smoothed if <see cref="SegmentationOptions.SimilaritySigma"/>
    /// &gt; 0). With negative seeds, pixels where the equally upsampled and smoothed negative similarity is at least as high
    /// hold <see cref="Excluded"/> instead, and so do pixels outside <see cref="BoxLimit"/>.
    /// </summary>
    public ReadOnlySpan<float> Similarity => _similarity;

    /// <summary>
    /// Binary mask at image size: 255 where <see cref="Similarity"/> ≥ <see cref="Threshold"/>, else 0, then cleaned up:
    /// smoothed (<see cref="SegmentationOptions.SmoothRadius"/>), less the regions that
    /// <see cref="SegmentationOptions.KeepSeedRegionsOnly"/> and <see cref="SegmentationOptions.MinRegionArea"/> remove, with
    /// the holes <see cref="SegmentationOptions.FillHolesArea"/> fills.
    /// </summary>
    public ReadOnlySpan<byte> Mask => _mask;

    /// <summary>
    /// Feathered mask in [0, 1] at image size (the binary mask blurred with <see cref="SegmentationOptions.FeatherSigma"/>);
    /// empty when <see cref="SegmentationOptions.ComputeSoftMask"/> is off. Computed on first read after a change.
    /// </summary>
    public ReadOnlySpan<float> SoftMask
    {
        get
        {
            if (!HasSoftMask) return [];
            if (_softMaskStale) ComputeSoftMask();
            return _softMask;
        }
    }

    /// <summary>Whether <see cref="SoftMask"/> is available (it is unless the options turned it off).</summary>
    public bool HasSoftMask { get; private set; }

    /// <summary>Threshold that produced <see cref="Mask"/>.</summary>
    public float Threshold { get; private set; }

    /// <summary>The rule that chose <see cref="Threshold"/> (see <c>SimilaritySegmenter.SegmentAuto</c>), or null when the caller gave it.</summary>
    public ThresholdRule? AutoRule { get; internal set; }

    /// <summary>
    /// How the click's patch map was made: <see cref="Propagation.Graph"/> when it was ranked over the patch graph (its
    /// values are then fractions of the seed's rank, in [0, 1]), <see cref="Propagation.None"/> for plain cosine similarity.
    /// </summary>
    public Propagation Propagation { get; internal set; }

    /// <summary>Pixels selected by <see cref="Mask"/> (after the region options).</summary>
    public int SelectedPixels => _selected;

    /// <summary>Fraction of the image selected, in [0, 1].</summary>
    public double AreaFraction => (double)SelectedPixels / (Width * Height);

    /// <summary>The positive seeds of this result, in image pixels.</summary>
    public IReadOnlyList<PixelPoint> Seeds => _seeds;

    /// <summary>The negative seeds of this result, in image pixels (empty when none were given).</summary>
    public IReadOnlyList<PixelPoint> NegativeSeeds => _negativeSeeds;

    /// <summary>The box prompt of this result, or null.</summary>
    public PixelRect? Box { get; private set; }

    /// <summary>
    /// With a box prompt, the box grown by <see cref="SegmentationOptions.BoxMargin"/> and clipped to the image: no pixel
    /// outside it is selected, except by <see cref="Refinement.GrabCut"/>, whose undecided band around the mask may cross it
    /// (so an object reaching past the limit is not cut off along a straight line). Null without a box.
    /// </summary>
    public PixelRect? BoxLimit { get; private set; }

    internal float[] Vector { get; }

    /// <summary>The box prototype: the mean of the patch vectors inside the box, normalised.</summary>
    internal float[] BoxVector { get; }

    internal Span<float> PatchSimilarityBuffer => _patchSimilarity;

    /// <summary>The graph-ranking solve and its vectors (made on the first ranked click).</summary>
    internal GraphRanking Ranking => _ranking ??= new GraphRanking(_patchSimilarity.Length);

    /// <summary>Conjugate-gradient iterations of the latest ranked click (positive and negative maps together); 0 otherwise.</summary>
    internal int RankingIterations { get; set; }

    internal Span<float> NegativeSimilarityBuffer => _negativeSimilarity;

    internal Span<float> PatchMarginBuffer => _patchMargin;

    internal List<PixelPoint> SeedList => _seeds;

    internal List<PixelPoint> NegativeSeedList => _negativeSeeds;

    internal bool Fits(PatchFeatures features) => features.Grid == Grid && features.Dim == Vector.Length;

    /// <summary>
    /// Similarity of every patch to <see cref="Vector"/> (or its max with what is there) into the positive or the negative
    /// patch map, split over the workers.
    /// </summary>
    internal void ComputeSimilarity(PatchFeatures features, bool max, bool negative = false) =>
        ComputeSimilarityInto(features, negative ? _negativeSimilarity : _patchSimilarity, max);

    /// <summary>Similarity of every patch to <see cref="Vector"/> into <see cref="RankingScratch"/> (the ranked path's per-seed map).</summary>
    internal void ComputeScratchSimilarity(PatchFeatures features) => ComputeSimilarityInto(features, _patchMargin, max: false);

    /// <summary>
    /// A patch map free while a ranked click solves seed by seed: the margin buffer, which only the gate fills, after ranking.
    /// </summary>
    internal Span<float> RankingScratch => _patchMargin;

    /// <summary>A second mask, for rules that compare the masks of two thresholds (made on first use, then reused).</summary>
    internal Span<byte> PreviousMaskBuffer => _previousMask.Length == _mask.Length ? _previousMask : _previousMask = new byte[_mask.Length];

    private byte[] _previousMask = [];

    private void ComputeSimilarityInto(PatchFeatures features, float[] target, bool max)
    {
        _jobs.Features = features;
        _jobs.MaxInto = max;
        _jobs.Target = target;
        // At least ~256 KiB of features per part: below that, waking a thread costs more than it saves.
        RangeWorkers.Shared.For(_jobs.Similarity, features.PatchCount, Math.Max(1, 65536 / features.Dim));
        _jobs.Features = null;
    }

    /// <summary>
    /// Patch similarity → upsampled, smoothed map → mask, split over the worker threads. With negative seeds the patch
    /// margin (positive minus negative similarity) is upsampled and smoothed the same way, and pixels where it is not above
    /// zero are excluded before the threshold.
    /// </summary>
    internal void Upsample(double sigma, float threshold)
    {
        PrepareUpsampling(sigma);
        bool gated = _negativeSeeds.Count > 0 || BoxLimit is not null;
        if (_negativeSeeds.Count > 0)
        {
            // The map is linear in the patch values, so upsampling the margin equals the difference of the upsampled maps.
            if (_margin.Length == 0) _margin = new float[Width * Height];
            UpsampleInto(_patchMargin, _margin, 0f, withBounds: false);
        }

        // Gating rewrites the map, so the gate job takes the bounds afterwards.
        UpsampleInto(_patchSimilarity, _similarity, threshold, withBounds: !gated);
        Threshold = threshold;
        if (gated)
        {
            _selected = 0;
            RangeWorkers.Shared.For(_jobs.GateAndThreshold, Height, Math.Max(1, 65536 / Width));
        }

        MapWritten();
    }

    /// <summary>The map, its mask and its bounds were just written together.</summary>
    private void MapWritten()
    {
        _boundsCurrent = true;
        _maskIsPlain = true;
    }

    /// <summary>The block bounds of output row <paramref name="y"/>.</summary>
    private Span<float> RowBounds(int y) => _bounds.AsSpan(y * _boundsStride, _boundsStride);

    /// <summary>
    /// The resampling weights for σ, made on the first click and when σ changes, and the horizontal-pass and bounds buffers,
    /// made on the first click.
    /// </summary>
    private void PrepareUpsampling(double sigma)
    {
        if (_upRows is null || _upSigma != sigma)
        {
            _upRows = AxisWeights.BilinearThenGaussian(Grid.Rows, Height, sigma);
            _upCols = AxisWeights.BilinearThenGaussian(Grid.Cols, Width, sigma);
            _upSigma = sigma;
        }

        if (_horizontal.Length == 0) _horizontal = new float[Grid.Rows * _stride];
        if (_bounds.Length == 0) _bounds = new float[Height * _boundsStride];
        _boundsCurrent = false; // until the new map is complete (a click that throws half-way leaves them stale)
    }

    private void UpsampleInto(float[] source, float[] destination, float threshold, bool withBounds)
    {
        _jobs.Source = source;
        _jobs.Destination = destination;
        _jobs.Threshold = threshold;
        _jobs.WriteBounds = withBounds;
        RangeWorkers workers = RangeWorkers.Shared;
        workers.For(_jobs.AlongColumns, Grid.Rows, Math.Max(1, 65536 / (Width * _upCols!.Taps)));
        _selected = 0;
        workers.For(_jobs.AcrossRowsAndThreshold, Height, Math.Max(1, 32768 / Width));
    }

    /// <summary>
    /// Re-applies a threshold to the existing map (the slider path). When the mask is the plain threshold of the map and the
    /// block bounds are current, only the blocks holding a value between the old and the new threshold are rewritten;
    /// otherwise (after refinement or a region filter) the whole map is thresholded and the bounds retaken.
    /// </summary>
    internal void ApplyThreshold(float threshold)
    {
        int minRows = Math.Max(1, 65536 / Width);
        if (_boundsCurrent && _maskIsPlain)
        {
            _jobs.PreviousThreshold = Threshold;
            Threshold = threshold;
            RangeWorkers.Shared.For(_jobs.ThresholdChange, Height, minRows);
            return;
        }

        Threshold = threshold;
        _selected = 0;
        _jobs.WriteBounds = !_boundsCurrent;
        RangeWorkers.Shared.For(_jobs.ThresholdOnly, Height, minRows);
        MapWritten();
    }

    /// <summary>The map was rewritten in place (refinement): its bounds are stale until the next full threshold pass.</summary>
    internal void MapRewritten() => _boundsCurrent = false;

    /// <summary>Records the box prompt and how far the selection may reach around it.</summary>
    internal void SetBox(PixelRect? box, double margin)
    {
        Box = box;
        BoxLimit = box is PixelRect b
            ? b.Inflate((int)Math.Ceiling(b.Width * margin), (int)Math.Ceiling(b.Height * margin), Width, Height)
            : null;
    }

    /// <summary>
    /// Applies the clean-up options to the thresholded mask (after <see cref="Upsample"/> or <see cref="ApplyThreshold"/>):
    /// outline smoothing, then the region options (which then judge the smoothed regions), then hole filling (last, so
    /// holes left by removed islands are filled too).
    /// </summary>
    internal void FilterRegions(SegmentationOptions options)
    {
        if (!options.CleansMask) return;
        if (options.SmoothRadius > 0)
        {
            _smoothing ??= new MaskSmoothing();
            _selected = _smoothing.Apply(_mask, Width, Height, options.SmoothRadius, out int changed);
            if (changed > 0) _maskIsPlain = false;
        }

        if (options.FiltersRegions || options.FillHolesArea > 0) _regions ??= new RegionFilter();
        if (options.FiltersRegions)
        {
            int removed = _regions!.Apply(_mask, Width, Height, _seeds, Box, options.KeepSeedRegionsOnly, options.MinRegionArea);
            _selected -= removed;
            if (removed > 0) _maskIsPlain = false;
        }

        if (options.FillHolesArea > 0)
        {
            int filled = _regions!.FillHoles(_mask, Width, Height, _negativeSeeds, options.FillHolesArea);
            _selected += filled;
            if (filled > 0) _maskIsPlain = false;
        }
    }

    /// <summary>Records how the soft mask is to be made; it is computed when first read.</summary>
    internal void InvalidateSoftMask(bool enabled, double featherSigma)
    {
        HasSoftMask = enabled;
        _softMaskStale = enabled;
        if (enabled && _featherSigma != featherSigma)
        {
            _featherRows = AxisWeights.Gaussian(Height, featherSigma);
            _featherKernel = Array.ConvertAll(AxisWeights.GaussianKernel(featherSigma), w => (float)w);
            _featherSigma = featherSigma;
        }
    }

    private void ComputeSoftMask()
    {
        RangeWorkers workers = RangeWorkers.Shared;
        int minRows = Math.Max(1, 32768 / Width);
        workers.For(_featherKernel.Length > 1 ? _jobs.Feather : _jobs.MaskToSoft, Height, minRows);

        _softMaskStale = false;
    }
}
