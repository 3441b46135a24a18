using DinoSeg.Pipeline;

namespace DinoSeg;

/// <summary>
/// The outcome of one click, read-only: similarity at patch and at image resolution, the binary mask, the threshold and the
/// rule that chose it, the prompt and the selected area; the soft (feathered) mask on request (<see cref="GetSoftMask"/>).
/// Holds its own buffers, so passing it back to
/// <see cref="SimilaritySegmenter.Segment(PatchFeatures, in SegmentationPrompt, float, SegmentationResult?, SegmentationOptions?)"/>
/// makes the next click allocation-free.
/// </summary>
/// <remarks>Not thread-safe: use one result per thread. Spans are valid until the result is segmented into again.</remarks>
public sealed class SegmentationResult
{
    private readonly ClickBuffers _click;

    /// <summary>Creates an empty result sized for <paramref name="features"/>; fill it with <see cref="SimilaritySegmenter"/>.</summary>
    public SegmentationResult(PatchFeatures features)
    {
        ArgumentNullException.ThrowIfNull(features);
        Pipeline = new ClickPipeline(features, this);
        _click = Pipeline.Buffers;
        Guide = features.Guide;
    }

    /// <summary>
    /// The value <see cref="Similarity"/> holds where the prompt rules a pixel out (it is at least as close to the negative
    /// seeds as to the positive ones, or lies outside <see cref="BoxLimit"/>): below every threshold, so no threshold selects it.
    /// </summary>
    public const float Excluded = -2f;

    /// <summary>Image width in pixels (all full-resolution maps are this wide).</summary>
    public int Width => _click.Width;

    /// <summary>Image height in pixels.</summary>
    public int Height => _click.Height;

    /// <summary>How image pixels map onto the patch grid (seed patch, patch bounds).</summary>
    public PatchGrid Grid => _click.Grid;

    /// <summary>
    /// Cosine similarity of each patch to the positive seeds (combined by <see cref="SegmentationOptions.SeedCombine"/>), in
    /// [-1, 1], row-major over the grid; with <see cref="Propagation.Graph"/>, that similarity ranked over the patch graph,
    /// in [0, 1] with the seed patches at 1.
    /// </summary>
    public ReadOnlySpan<float> PatchSimilarity => _click.PatchSimilarity;

    /// <summary>
    /// Per patch, the highest cosine similarity to any negative seed, in [-1, 1], row-major over the grid (ranked like
    /// <see cref="PatchSimilarity"/> with <see cref="Propagation.Graph"/>); empty without negative seeds.
    /// </summary>
    public ReadOnlySpan<float> NegativePatchSimilarity => _click.NegativeSeeds.Count == 0 ? [] : _click.NegativeSimilarity;

    /// <summary>
    /// Similarity to the positive seeds upsampled to image size (and smoothed if <see cref="SegmentationOptions.SimilaritySigma"/>
    /// &gt; 0). With negative seeds, pixels where the equally upsampled and smoothed negative similarity is at least as high
    /// hold <see cref="Excluded"/> instead, and so do pixels outside <see cref="BoxLimit"/>.
    /// </summary>
    public ReadOnlySpan<float> Similarity => _click.Similarity;

    /// <summary>
    /// Binary mask at image size: 255 where <see cref="Similarity"/> ≥ <see cref="Threshold"/>, else 0, then cleaned up:
    /// smoothed (<see cref="SegmentationOptions.SmoothRadius"/>), less the regions that
    /// <see cref="SegmentationOptions.KeepSeedRegionsOnly"/> and <see cref="SegmentationOptions.MinRegionArea"/> remove, with
    /// the holes <see cref="SegmentationOptions.FillHolesArea"/> fills.
    /// </summary>
    public ReadOnlySpan<byte> Mask => _click.Mask;

    /// <summary>Whether <see cref="GetSoftMask"/> gives a soft mask (it does unless <see cref="SegmentationOptions.ComputeSoftMask"/> is off).</summary>
    public bool HasSoftMask => Pipeline.HasSoftMask;

    /// <summary>Threshold that produced <see cref="Mask"/>.</summary>
    public float Threshold => _click.Threshold;

    /// <summary>The rule that chose <see cref="Threshold"/> (see <c>SimilaritySegmenter.SegmentAuto</c>), or null when the caller gave it.</summary>
    public ThresholdRule? AutoRule => _click.AutoRule;

    /// <summary>
    /// How the click's patch map was made: <see cref="Propagation.Graph"/> when it was ranked over the patch graph (its
    /// values are then fractions of the seed's rank, in [0, 1]), <see cref="Propagation.None"/> for plain cosine similarity.
    /// </summary>
    public Propagation Propagation => _click.Propagation;

    /// <summary>
    /// The options the latest click used (the segmenter's, or the ones passed to that click), which
    /// <see cref="SimilaritySegmenter.Rethreshold"/> keeps using; null before the first click.
    /// </summary>
    public SegmentationOptions? Options => _click.Options;

    /// <summary>Pixels selected by <see cref="Mask"/> (after the region options).</summary>
    public int SelectedPixels => _click.Selected;

    /// <summary>Fraction of the image selected, in [0, 1].</summary>
    public double AreaFraction => (double)SelectedPixels / (Width * Height);

    /// <summary>The positive seeds of this result, in image pixels.</summary>
    public IReadOnlyList<PixelPoint> Seeds => _click.Seeds;

    /// <summary>The negative seeds of this result, in image pixels (empty when none were given).</summary>
    public IReadOnlyList<PixelPoint> NegativeSeeds => _click.NegativeSeeds;

    /// <summary>The box prompt of this result, or null.</summary>
    public PixelRect? Box => _click.Box;

    /// <summary>
    /// With a box prompt, the box grown by <see cref="SegmentationOptions.BoxMargin"/> and clipped to the image: no pixel
    /// outside it is selected, except by <see cref="Refinement.GrabCut"/>, whose undecided band around the mask may cross it
    /// (so an object reaching past the limit is not cut off along a straight line). Null without a box.
    /// </summary>
    public PixelRect? BoxLimit => _click.BoxLimit;

    /// <summary>
    /// The image guide that <see cref="Refinement.GuidedFilter"/>, <see cref="Refinement.GrabCut"/> and
    /// <see cref="Refinement.DenseCrf"/> (the default) need: at first the features' own (<see cref="PatchFeatures.Guide"/>,
    /// there when <see cref="DinoSegmenter"/> extracted them), else set once per image with
    /// <see cref="RefinementGuide.FromImage(SixLabors.ImageSharp.Image{SixLabors.ImageSharp.PixelFormats.Rgb24})"/>; null
    /// when no refinement is used. A click on features that carry a guide sets theirs (the image's own).
    /// </summary>
    /// <exception cref="ArgumentException">The guide's size is not the image's.</exception>
    public RefinementGuide? Guide
    {
        get;
        set
        {
            RefinementGuide.ThrowIfNotSized(value, Width, Height, nameof(value));
            field = value;
        }
    }

    /// <summary>The engine that fills this result, and its diagnostics (for tests and benchmarks).</summary>
    internal ClickPipeline Pipeline { get; }

    /// <summary>
    /// The feathered mask in [0, 1] at image size: <see cref="Mask"/> blurred with <see cref="SegmentationOptions.FeatherSigma"/>;
    /// empty when <see cref="SegmentationOptions.ComputeSoftMask"/> is off. A click does not make it: the first call after
    /// a click or a threshold change does (a full-resolution blur, split over the cores), later calls return it as made.
    /// </summary>
    public ReadOnlySpan<float> GetSoftMask() => Pipeline.SoftMask();
}
