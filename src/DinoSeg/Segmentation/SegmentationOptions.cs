namespace DinoSeg;

/// <summary>How seeds combine when several are given.</summary>
public enum SeedCombine
{
    /// <summary>Per patch, the highest similarity to any seed (a patch like any seed is selected).</summary>
    Max,

    /// <summary>Per patch, the mean similarity over the seeds.</summary>
    Mean,
}

/// <summary>Edge-aware refinement of the similarity map or of the mask (see <see cref="SegmentationOptions.Refinement"/>).</summary>
public enum Refinement
{
    /// <summary>None: mask edges follow the upsampled, smoothed patch grid.</summary>
    None,

    /// <summary>
    /// He et al.'s guided filter with the image's grey levels as guide, applied to the upsampled map before the threshold,
    /// so mask edges snap to image edges. Needs <see cref="SegmentationResult.Guide"/>.
    /// </summary>
    GuidedFilter,

    /// <summary>
    /// GrabCut on the thresholded mask (colour models of the object and its surroundings, then a graph cut along image
    /// edges), restricted to a band around the mask's edge; seeds keep their labels. Changes the mask, not the map. Needs
    /// <see cref="SegmentationResult.Guide"/> made from the image's colours (<see cref="RefinementGuide.FromImage(SixLabors.ImageSharp.Image{SixLabors.ImageSharp.PixelFormats.Rgb24})"/>).
    /// </summary>
    GrabCut,

    /// <summary>
    /// A fully-connected CRF on the thresholded map (Krähenbühl and Koltun's mean field with a bilateral and a Gaussian
    /// kernel, <see cref="SegmentationOptions.Crf"/>): the unary is the map's distance from the threshold, so pixels join
    /// or leave the object with their similar-coloured surroundings. Runs on a working grid of at most 256 pixels a side and
    /// is decided at full size; seeds keep their labels and excluded pixels stay excluded. Changes the mask, not the map.
    /// Needs <see cref="SegmentationResult.Guide"/> made from the image's colours (<see cref="RefinementGuide.FromImage(SixLabors.ImageSharp.Image{SixLabors.ImageSharp.PixelFormats.Rgb24})"/>).
    /// </summary>
    DenseCrf,
}

/// <summary>
/// Options of the per-click path. Immutable; change with <c>with</c>:
/// <c>SegmentationOptions.Default with { FeatherSigma = 3 }</c>.
/// </summary>
/// <remarks>Immutable, so one instance can be shared by any number of segmenters and threads.</remarks>
public sealed record SegmentationOptions
{
    /// <summary>
    /// σ, in original-image pixels, of the Gaussian applied to the upsampled similarity map <em>before</em> the threshold;
    /// it shapes the binary mask itself (rounder edges, fewer specks). 0 turns it off. Default 4.
    /// </summary>
    public double SimilaritySigma { get; init; } = 4;

    /// <summary>
    /// σ, in original-image pixels, of the Gaussian applied to the binary mask <em>after</em> the threshold to make the soft
    /// mask (the notebook's step 6: feathered edges, used as alpha by overlay and cut-out). 0 gives a hard-edged soft mask. Default 2.
    /// </summary>
    public double FeatherSigma { get; init; } = 2;

    /// <summary>Whether to compute the soft mask at all (it costs a full-resolution blur). Default true.</summary>
    public bool ComputeSoftMask { get; init; } = true;

    /// <summary>How several seeds combine. Default <see cref="SeedCombine.Max"/>.</summary>
    public SeedCombine SeedCombine { get; init; } = SeedCombine.Max;

    /// <summary>
    /// How far beyond a box prompt a selection may reach, as a fraction of the box's own width (left and right) and height
    /// (above and below), rounded up to whole pixels: objects rarely sit exactly inside a hand-drawn box. 0 confines the
    /// selection to the box. Default 0.1.
    /// </summary>
    public double BoxMargin { get; init; } = 0.1;

    /// <summary>
    /// Keep only the connected regions of the thresholded mask that hold a positive seed or overlap the box prompt (regions
    /// are 8-connected: diagonal neighbours touch). Applied after every threshold, the slider's included. Default false.
    /// </summary>
    public bool KeepSeedRegionsOnly { get; init; }

    /// <summary>
    /// Remove connected regions (8-connected) of fewer pixels than this from the thresholded mask; regions holding a
    /// positive seed or overlapping the box prompt are never removed. Applied after every threshold, the slider's included. 0 or 1 keeps all. Default 0.
    /// </summary>
    public int MinRegionArea { get; init; }

    /// <summary>Whether either region option is on, i.e. the mask needs its connected regions labelled.</summary>
    internal bool FiltersRegions => KeepSeedRegionsOnly || MinRegionArea > 1;

    /// <summary>Whether any clean-up step (outline smoothing, region options, hole filling) runs after the threshold.</summary>
    internal bool CleansMask => FiltersRegions || FillHolesArea > 0 || SmoothRadius > 0;

    /// <summary>
    /// How the patch similarity becomes the map that is upsampled and thresholded: as it is, or ranked over the image's
    /// patch graph (<see cref="Propagation.Graph"/>, with <see cref="Graph"/>'s settings), which selects whole regions
    /// rather than the parts that look like the seed patch. Applies to every prompt: seeds, negative seeds (ranked too, and
    /// the gate compares the ranked maps), boxes, automatic thresholds, refinement and the slider. Default
    /// <see cref="DinoSeg.Propagation.Graph"/>: the best one-click IoU and the fewest clicks measured on the evaluation set
    /// (docs/quality.md). Fixed thresholds mean different things on the two maps: a cosine with
    /// <see cref="DinoSeg.Propagation.None"/>, a fraction of the seed's rank (0.3–0.5 is the useful range) with
    /// <see cref="DinoSeg.Propagation.Graph"/>.
    /// </summary>
    public Propagation Propagation { get; init; } = Propagation.Graph;

    /// <summary>The patch graph and its solve, used when <see cref="Propagation"/> is <see cref="DinoSeg.Propagation.Graph"/>.</summary>
    public GraphOptions Graph { get; init; } = GraphOptions.Default;

    /// <summary>
    /// How the calls that take no threshold (<c>Segment(features, seed)</c>, <c>DinoSegmenter.Segment(image, seed)</c>, the
    /// CLI and web defaults) choose one from each click's own map. Default <see cref="DinoSeg.ThresholdRule.StableSingleSeed"/>:
    /// the best one-click IoU and the fewest clicks of the rules measured on the evaluation set (docs/quality.md); a one-seed
    /// click then finishes its mask ten times, its later clicks once. <see cref="DinoSeg.ThresholdRule.RankedOtsu"/> (the
    /// default before) costs one a click.
    /// </summary>
    public ThresholdRule ThresholdRule { get; init; } = ThresholdRule.StableSingleSeed;

    /// <summary>
    /// Edge-aware refinement of the map or the mask. Default <see cref="DinoSeg.Refinement.DenseCrf"/>: the best one-click IoU
    /// and the fewest clicks on the evaluation set, its settings checked on held-out halves (docs/quality.md), at about 25 ms
    /// a click and 20 ms a slider move at one megapixel. It needs the image: <see cref="DinoSegmenter"/>'s extraction keeps
    /// its guide with the features (<see cref="PatchFeatures.Guide"/>); a caller with features from elsewhere (an extractor
    /// alone, a feature file) sets <see cref="SegmentationResult.Guide"/> once per image, or chooses
    /// <see cref="DinoSeg.Refinement.None"/> (the plain mask, about a millisecond a click and no cost per slider move).
    /// </summary>
    public Refinement Refinement { get; init; } = Refinement.DenseCrf;

    /// <summary>
    /// Window radius, in image pixels, of the guided filter (the window is 2r + 1 wide). Default 16 (one patch): best of
    /// 8 and 16 on the evaluation set (docs/quality.md).
    /// </summary>
    public int RefineRadius { get; init; } = 16;

    /// <summary>
    /// ε of the guided filter, in squared grey levels of [0, 1]: edges whose local grey variance is well above ε are kept,
    /// flatter areas are smoothed. Default 0.001 (a grey step of about 0.03): better than 0.01 on the evaluation set.
    /// </summary>
    public double RefineEpsilon { get; init; } = 0.001;

    /// <summary>The CRF's unary, kernels and iterations, used when <see cref="Refinement"/> is <see cref="Refinement.DenseCrf"/>.</summary>
    public CrfOptions Crf { get; init; } = CrfOptions.Default;

    /// <summary>
    /// Fill holes of up to this many pixels in the thresholded mask: regions of unselected pixels (4-connected, the dual of
    /// the 8-connected regions) that touch neither the image border nor a negative seed. Applied after every threshold, the
    /// slider's included, after <see cref="SmoothRadius"/> and the region options. 0 turns it off. Default 0: neutral on the
    /// default pipeline; after <see cref="Refinement.GuidedFilter"/>, 5000 saved about half a click at NoC@85 and NoC@90 on
    /// the evaluation set's photos (docs/exports.md).
    /// </summary>
    public int FillHolesArea { get; init; }

    /// <summary>
    /// Radius, in pixels, of a majority filter that smooths the thresholded mask's outline: a pixel is selected when more
    /// than half of the (2r + 1)² square around it is, so specks, notches and staircase edges narrower than about r go.
    /// Applied after every threshold, the slider's included, before the region options and hole filling; its cost does not
    /// grow with r. 0 turns it off. Default 0: no gain on the evaluation set (docs/exports.md).
    /// </summary>
    public int SmoothRadius { get; init; }

    /// <summary>The largest <see cref="SmoothRadius"/>.</summary>
    public const int MaxSmoothRadius = 256;

    /// <summary>The defaults.</summary>
    public static SegmentationOptions Default { get; } = new();

    internal void Validate()
    {
        if (!(SimilaritySigma >= 0 && SimilaritySigma <= Kernels.AxisWeights.MaxSigma))
        {
            throw new ArgumentOutOfRangeException(nameof(SimilaritySigma), SimilaritySigma, $"σ must be in [0, {Kernels.AxisWeights.MaxSigma}].");
        }

        if (!(FeatherSigma >= 0 && FeatherSigma <= Kernels.AxisWeights.MaxSigma))
        {
            throw new ArgumentOutOfRangeException(nameof(FeatherSigma), FeatherSigma, $"σ must be in [0, {Kernels.AxisWeights.MaxSigma}].");
        }

        if (!(BoxMargin >= 0 && BoxMargin <= 10)) throw new ArgumentOutOfRangeException(nameof(BoxMargin), BoxMargin, "The margin is a fraction of the box size in [0, 10].");
        if (MinRegionArea < 0) throw new ArgumentOutOfRangeException(nameof(MinRegionArea), MinRegionArea, "The area is a pixel count: 0 or more.");
        if (FillHolesArea < 0) throw new ArgumentOutOfRangeException(nameof(FillHolesArea), FillHolesArea, "The area is a pixel count: 0 (off) or more.");
        if (SmoothRadius is < 0 or > MaxSmoothRadius)
        {
            throw new ArgumentOutOfRangeException(nameof(SmoothRadius), SmoothRadius, $"The radius must be in [0, {MaxSmoothRadius}] pixels (0 is off).");
        }

        if (!Enum.IsDefined(Refinement)) throw new ArgumentOutOfRangeException(nameof(Refinement), Refinement, "Unknown refinement.");
        if (RefineRadius is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(RefineRadius), RefineRadius, "The radius must be in [1, 256] pixels.");
        if (!(RefineEpsilon > 0 && RefineEpsilon <= 1)) throw new ArgumentOutOfRangeException(nameof(RefineEpsilon), RefineEpsilon, "ε must be in (0, 1].");
        AutoThreshold.ThrowIfUnknown(ThresholdRule, nameof(ThresholdRule));
        if (!Enum.IsDefined(Propagation)) throw new ArgumentOutOfRangeException(nameof(Propagation), Propagation, "Unknown propagation.");
        ArgumentNullException.ThrowIfNull(Graph, nameof(Graph));
        Graph.Validate();
        ArgumentNullException.ThrowIfNull(Crf, nameof(Crf));
        Crf.Validate();
        if (!Enum.IsDefined(SeedCombine)) throw new ArgumentOutOfRangeException(nameof(SeedCombine), SeedCombine, "Unknown seed combination.");
    }
}
