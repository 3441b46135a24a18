using DinoSeg.Kernels;

namespace DinoSeg;

/// <summary>
/// The per-click path: seed similarity over the patch grid → optional ranking over the patch graph → bilinear upsampling to image size with optional Gaussian
/// smoothing (one fused separable pass, exactly equal to upsample-then-blur) → negative-seed gate → optional refinement →
/// threshold → region options; the feathered soft mask on request (<see cref="SegmentationResult.GetSoftMask"/>).
/// </summary>
/// <remarks>
/// Immutable and thread-safe: any number of threads may segment the same <see cref="PatchFeatures"/> at once, each with
/// its own <see cref="SegmentationResult"/>. Reusing a result makes a click allocation-free. Large images are split over
/// the machine's cores. The prompt overloads take options for one click (<c>options:</c>), so one segmenter serves
/// callers whose options vary per request.
/// </remarks>
public sealed partial class SimilaritySegmenter
{
    /// <summary>Creates a segmenter with the given options (defaults when null).</summary>
    public SimilaritySegmenter(SegmentationOptions? options = null)
    {
        Options = options ?? SegmentationOptions.Default;
        Options.Validate();
    }

    /// <summary>The options every click uses unless it passes its own.</summary>
    public SegmentationOptions Options { get; }

    // The per-click options checked last: a caller that passes the same instance click after click validates it once.
    // A benign race: at worst two threads both validate.
    private SegmentationOptions? _lastChecked;

    /// <summary>
    /// A fixed threshold that suits these options' maps, for callers that want a number rather than
    /// <see cref="SegmentationOptions.ThresholdRule"/> (a slider's start): <see cref="GraphOptions.DefaultThreshold"/> on ranked
    /// maps (a fraction of the seed's rank), the backbone's <see cref="Backbone.DefaultThreshold"/> (a cosine) on plain ones.
    /// </summary>
    public float DefaultThreshold(Backbone backbone)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        return Options.Propagation == Propagation.Graph ? GraphOptions.DefaultThreshold : backbone.DefaultThreshold;
    }

    /// <summary>Segments from one seed at a fixed threshold into a new result (the card's call).</summary>
    /// <param name="features">Features of the image.</param>
    /// <param name="seed">A pixel of the original image.</param>
    /// <param name="threshold">Similarity threshold in [-1, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException">The seed lies outside the image, or the threshold is not in [-1, 1].</exception>
    public SegmentationResult Segment(PatchFeatures features, PixelPoint seed, float threshold) =>
        Segment(features, new SegmentationPrompt(seed), threshold);

    /// <summary>
    /// Segments from any prompt — positive seeds, negative seeds, a box — at a fixed threshold, into <paramref name="into"/>
    /// (allocation-free once its buffers exist) or a new result.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Per patch, s⁺ is the similarity to the positive seeds (combined by <see cref="SegmentationOptions.SeedCombine"/>)
    /// and s⁻ the highest similarity to any negative seed. Both are upsampled and smoothed by the same linear map (in
    /// practice: s⁺ and the margin s⁺ − w·s⁻); a pixel is selected only where the smoothed s⁺ is strictly above w times the
    /// smoothed s⁻ <em>and</em> reaches the threshold (w: <see cref="GraphOptions.NegativeWeight"/> on ranked maps, 1 by
    /// default; 1 on plain ones). Elsewhere <see cref="SegmentationResult.Similarity"/> holds
    /// <see cref="SegmentationResult.Excluded"/>, which is below every threshold, so the slider
    /// (<see cref="Rethreshold"/>) keeps the rule. Gating after the smoothing, not before, puts the boundary where the two
    /// smoothed similarities cross, with no halo or erosion from smoothing a step.
    /// </para>
    /// <para>
    /// A box adds one more positive "seed": its prototype, the mean of the vectors of the patches whose centres lie in the
    /// box (the patch under the box centre when none does), normalised. It combines with the positive seeds like any seed,
    /// and the selection is limited to the box grown by <see cref="SegmentationOptions.BoxMargin"/>
    /// (<see cref="SegmentationResult.BoxLimit"/>).
    /// </para>
    /// </remarks>
    /// <param name="features">Features of the image.</param>
    /// <param name="prompt">The seeds, negative seeds and box.</param>
    /// <param name="threshold">Similarity threshold in [-1, 1].</param>
    /// <param name="into">The result to fill, made for features of this size; null for a new one.</param>
    /// <param name="options">Options for this click instead of <see cref="Options"/> (null: those); the result keeps them
    /// for <see cref="Rethreshold"/>.</param>
    /// <returns><paramref name="into"/>, or the new result.</returns>
    /// <exception cref="ArgumentException">Neither a positive seed nor a box, or <paramref name="into"/> was made for other features' size.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A seed or the box lies outside the image, the threshold is not in [-1, 1], or an option is out of range.</exception>
    public SegmentationResult Segment(PatchFeatures features, in SegmentationPrompt prompt, float threshold, SegmentationResult? into = null,
        SegmentationOptions? options = null)
    {
        SegmentationOptions chosen = OptionsFor(options);
        SegmentationResult result = ResultFor(features, into);
        CheckClick(features, prompt, threshold, result, chosen);
        result.Pipeline.Click(features, prompt.Seeds, prompt.Negatives, prompt.Box, chosen, threshold);
        return result;
    }

    /// <summary>
    /// Builds, ahead of the first click, what these options need per image beyond the features (the patch graph for
    /// <see cref="Propagation.Graph"/>; nothing otherwise), so that click feels as instant as the next. Optional: the first
    /// click builds it otherwise. The features keep it (<see cref="PatchFeatures.GetGraph"/>). Pass the options the clicks
    /// will pass, if they pass their own.
    /// </summary>
    public void Prepare(PatchFeatures features, SegmentationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        SegmentationOptions chosen = OptionsFor(options);
        if (chosen.Propagation == Propagation.Graph) features.GetGraph(chosen.Graph);
    }

    /// <summary>
    /// The options for one click: <see cref="Options"/> when none are passed or they equal them (a record comparison, no
    /// allocation), else the passed ones, validated unless they are the instance checked last.
    /// </summary>
    private SegmentationOptions OptionsFor(SegmentationOptions? options)
    {
        if (options is null || ReferenceEquals(options, Options) || options.Equals(Options)) return Options;
        if (!ReferenceEquals(options, Volatile.Read(ref _lastChecked)))
        {
            options.Validate();
            Volatile.Write(ref _lastChecked, options);
        }

        return options;
    }

    /// <summary><paramref name="into"/>, or a new result for the features.</summary>
    private static SegmentationResult ResultFor(PatchFeatures features, SegmentationResult? into)
    {
        ArgumentNullException.ThrowIfNull(features);
        return into ?? new SegmentationResult(features);
    }

    /// <summary>
    /// Checks a click's prompt and threshold against an image of this size, as every click does before any work: a
    /// positive seed or a box, every seed and the box inside the image, the threshold (when given) in [-1, 1]. Callers
    /// that extract features first may run it before, to refuse a bad click before the backbone runs.
    /// </summary>
    /// <exception cref="ArgumentException">Neither a positive seed nor a box (<c>ParamName</c> "prompt").</exception>
    /// <exception cref="ArgumentOutOfRangeException">A seed ("point", the point as <c>ActualValue</c>) or the box
    /// ("prompt.Box") lies outside the image, or the threshold ("threshold") is not in [-1, 1].</exception>
    public static void Validate(in SegmentationPrompt prompt, int imageWidth, int imageHeight, float? threshold = null)
    {
        if (threshold is float t) Threshold.Validate(t);
        prompt.Validate(imageWidth, imageHeight);
    }

    /// <summary>Every check of a click's arguments (the threshold unless a rule chooses it), before any work.</summary>
    private static void CheckClick(PatchFeatures features, in SegmentationPrompt prompt, float? threshold, SegmentationResult into,
        SegmentationOptions options)
    {
        Validate(prompt, features.ImageWidth, features.ImageHeight, threshold);
        if (!into.Pipeline.Buffers.Fits(features)) throw new ArgumentException("The result was created for features of another size or grid.", nameof(into));
        if (features.Guide is { } own) into.Guide = own; // the image's own guide, also when a result is reused for a new image
        CheckGuide(into, options);
    }

    /// <summary>With refinement on, the result must carry the image guide (with colours for GrabCut and the CRF).</summary>
    private static void CheckGuide(SegmentationResult into, SegmentationOptions options)
    {
        if (options.Refinement != Refinement.None && into.Guide is null)
        {
            throw new ArgumentException(
                $"{options.Refinement} refinement (the default is {SegmentationOptions.Default.Refinement}) needs the image, and neither " +
                "the features nor the result carry its guide. Fix: extract with DinoSegmenter (it keeps the guide with the features), " +
                "or set result.Guide = RefinementGuide.FromImage(image) once per image, or use options with Refinement = Refinement.None.",
                nameof(into));
        }

        if (options.Refinement is Refinement.GrabCut or Refinement.DenseCrf && !into.Guide!.HasColor)
        {
            throw new ArgumentException(
                $"{options.Refinement} needs the image's colours: make the guide with RefinementGuide.FromImage(image), not FromGrey.", nameof(into));
        }
    }

    /// <summary>
    /// The slider path: re-thresholds an existing result without touching features or the similarity map; the next
    /// <see cref="SegmentationResult.GetSoftMask"/> feathers the new mask. The mask is finished with the options its click
    /// used (<see cref="SegmentationResult.Options"/>), whichever segmenter or per-click options that was.
    /// </summary>
    /// <remarks>
    /// Only the 64-pixel blocks of the map that hold a value between the old and the new threshold are rewritten (the click
    /// recorded each block's minimum and maximum), so a small move on a large image reads a fraction of the map. After a
    /// region option removed pixels, or after refinement, the whole map is thresholded again. Either way the mask equals a
    /// fresh threshold of <see cref="SegmentationResult.Similarity"/>.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">The threshold is not in [-1, 1].</exception>
    public void Rethreshold(SegmentationResult result, float threshold)
    {
        ArgumentNullException.ThrowIfNull(result);
        Threshold.Validate(threshold);
        if (result.Seeds.Count == 0 && result.Box is null) throw new ArgumentException("The result holds no segmentation yet.", nameof(result));
        SegmentationOptions clicked = result.Options ?? Options;
        CheckGuide(result, clicked);
        result.Pipeline.Rethreshold(clicked, threshold);
    }
}
