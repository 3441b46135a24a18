using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg;

/// <summary>
/// The one-stop entry point: a feature extractor plus a <see cref="SimilaritySegmenter"/>.
/// <code>
/// using var dino = DinoSegmenter.CreateDefault();
/// SegmentationResult result = dino.Segment("photo.jpg", new PixelPoint(320, 240), threshold: 0.2f);
/// </code>
/// For interactive use, call <see cref="Extract(string, ImageLimits?, CancellationToken)"/> once per image and <see cref="Segment(PatchFeatures, PixelPoint, float?)"/>
/// per click.
/// </summary>
/// <remarks>
/// Thread-safe when its extractor is (the built-in <see cref="OnnxFeatureExtractor"/> is): any number of threads may extract
/// and segment at once. <see cref="Dispose"/> may race with calls in flight: it waits for the extractions in flight, and
/// every call that starts after it began throws <see cref="ObjectDisposedException"/>.
/// </remarks>
public sealed partial class DinoSegmenter : IDisposable
{
    private readonly bool _ownsExtractor;
    private readonly InFlightGate _gate = new();

    /// <summary>Wraps an extractor.</summary>
    /// <param name="extractor">The backbone runner.</param>
    /// <param name="options">Per-click options; defaults when null.</param>
    /// <param name="ownsExtractor">Dispose the extractor with this object.</param>
    /// <exception cref="ArgumentNullException"><paramref name="extractor"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public DinoSegmenter(IFeatureExtractor extractor, SegmentationOptions? options = null, bool ownsExtractor = true)
    {
        Extractor = extractor ?? throw new ArgumentNullException(nameof(extractor));
        Segmenter = new SimilaritySegmenter(options);
        _ownsExtractor = ownsExtractor;
    }

    /// <summary>With the embedded ResNet18 backbone: works offline on any machine.</summary>
    public static DinoSegmenter CreateDefault(ExtractorOptions? extractorOptions = null, SegmentationOptions? options = null)
    {
        var extractor = OnnxFeatureExtractor.CreateDefault(extractorOptions);
        return Own(extractor, options);
    }

    /// <summary>With an exported ONNX backbone (e.g. DINOv3: <c>Create("dinov3_vitl16.onnx", Backbone.Dinov3)</c>).</summary>
    public static DinoSegmenter Create(string modelPath, Backbone backbone, ExtractorOptions? extractorOptions = null, SegmentationOptions? options = null)
    {
        var extractor = OnnxFeatureExtractor.Create(modelPath, backbone, extractorOptions);
        return Own(extractor, options);
    }

    // Bad segmentation options must not leak the session that was just built.
    private static DinoSegmenter Own(OnnxFeatureExtractor extractor, SegmentationOptions? options)
    {
        try
        {
            return new DinoSegmenter(extractor, options);
        }
        catch
        {
            extractor.Dispose();
            throw;
        }
    }

    /// <summary>The backbone runner.</summary>
    public IFeatureExtractor Extractor { get; }

    /// <summary>The per-click path.</summary>
    public SimilaritySegmenter Segmenter { get; }

    /// <summary>
    /// A fixed threshold for callers that want a number (the overloads without one use the evaluated rule instead): see
    /// <see cref="SimilaritySegmenter.DefaultThreshold"/>.
    /// </summary>
    public float DefaultThreshold => Segmenter.DefaultThreshold(Extractor.Backbone);

    /// <summary>Decodes (within <paramref name="limits"/>) and extracts features.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="imagePath"/>.</exception>
    /// <exception cref="DinoSegImageException">The file is not a usable image or exceeds the limits.</exception>
    public PatchFeatures Extract(string imagePath, ImageLimits? limits = null, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        using Image<Rgb24> image = ImageDecoder.Load(imagePath, limits);
        using InFlightGate.Scope inFlight = _gate.Enter(this);
        return ExtractWithGuide(image, cancellationToken);
    }

    /// <summary>
    /// Extracts features of a decoded image; when the options refine (the default CRF does), the image's guide is kept with
    /// them (<see cref="PatchFeatures.Guide"/>), so clicks on the features alone refine.
    /// </summary>
    public PatchFeatures Extract(Image<Rgb24> image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        using InFlightGate.Scope inFlight = _gate.Enter(this);
        return ExtractWithGuide(image, cancellationToken);
    }

    private PatchFeatures ExtractWithGuide(Image<Rgb24> image, CancellationToken cancellationToken = default)
    {
        PatchFeatures features = Extractor.Extract(image, cancellationToken);
        if (Segmenter.Options.Refinement != Refinement.None) features.Guide ??= RefinementGuide.FromImage(image);
        return features;
    }

    /// <summary>
    /// One call: extract, then segment from <paramref name="seed"/> at <paramref name="threshold"/>, or with the evaluated
    /// default rule when it is null (<see cref="SegmentationOptions.ThresholdRule"/> over this click's own map; the result
    /// records the threshold).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The seed lies outside the image or the threshold is not in [-1, 1]; checked before the backbone runs.</exception>
    public SegmentationResult Segment(Image<Rgb24> image, PixelPoint seed, float? threshold = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        using InFlightGate.Scope inFlight = _gate.Enter(this); // Dispose waits for the whole call
        if (threshold is float t) Kernels.Threshold.Validate(t);
        seed.ThrowIfOutside(image.Width, image.Height, nameof(seed));
        return SegmentFeatures(ExtractWithGuide(image), seed, threshold);
    }

    /// <summary>One call on a file: decode, extract, segment (at <paramref name="threshold"/>, or with the default rule when null).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The threshold is not in [-1, 1] (checked before decoding) or the seed lies outside the image.</exception>
    /// <exception cref="FileNotFoundException">No file at <paramref name="imagePath"/>.</exception>
    /// <exception cref="DinoSegImageException">The file is not a usable image or exceeds the default limits.</exception>
    public SegmentationResult Segment(string imagePath, PixelPoint seed, float? threshold = null)
    {
        ThrowIfDisposed();
        if (threshold is float t) Kernels.Threshold.Validate(t);
        using Image<Rgb24> image = ImageDecoder.Load(imagePath);
        return Segment(image, seed, threshold);
    }

    /// <summary>
    /// Segments already-extracted features (the per-click call) at <paramref name="threshold"/>, or with the default rule
    /// when null. For negative seeds, a box or a reused result, use <see cref="Segmenter"/>'s prompt overloads.
    /// </summary>
    public SegmentationResult Segment(PatchFeatures features, PixelPoint seed, float? threshold = null)
    {
        ThrowIfDisposed();
        return SegmentFeatures(features, seed, threshold);
    }

    private SegmentationResult SegmentFeatures(PatchFeatures features, PixelPoint seed, float? threshold) =>
        threshold is float t ? Segmenter.Segment(features, seed, t) : Segmenter.Segment(features, seed);

    /// <summary>
    /// Disposes the extractor if this object owns it, after the extractions in flight have finished (later calls throw
    /// <see cref="ObjectDisposedException"/>). Safe to call more than once and from any thread.
    /// </summary>
    public void Dispose()
    {
        if (_gate.Close() && _ownsExtractor) Extractor.Dispose();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_gate.IsClosed, this);
}
