using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg;

/// <summary>
/// The one-stop entry point: a feature extractor plus a <see cref="SimilaritySegmenter"/>.
/// <code>
/// using var dino = DinoSegmenter.CreateDefault();
/// SegmentationResult result = dino.Segment("photo.jpg", new PixelPoint(320, 240), threshold: 0.2f);
/// </code>
/// For interactive use, call <see cref="Extract(string, ImageLimits?, CancellationToken)"/> once per image and <see cref="Segment(PatchFeatures, PixelPoint, float)"/>
/// per click.
/// </summary>
/// <remarks>Thread-safe when its extractor is (the built-in <see cref="OnnxFeatureExtractor"/> is).</remarks>
public sealed class DinoSegmenter : IDisposable
{
    private readonly bool _ownsExtractor;

    /// <summary>Wraps an extractor.</summary>
    /// <param name="extractor">The backbone runner.</param>
    /// <param name="options">Per-click options; defaults when null.</param>
    /// <param name="ownsExtractor">Dispose the extractor with this object.</param>
    public DinoSegmenter(IFeatureExtractor extractor, SegmentationOptions? options = null, bool ownsExtractor = true)
    {
        Extractor = extractor ?? throw new ArgumentNullException(nameof(extractor));
        Segmenter = new SimilaritySegmenter(options);
        _ownsExtractor = ownsExtractor;
    }

    /// <summary>With the embedded ResNet18 backbone: works offline on any machine.</summary>
    public static DinoSegmenter CreateDefault(ExtractorOptions? extractorOptions = null, SegmentationOptions? options = null) =>
        new(OnnxFeatureExtractor.CreateDefault(extractorOptions), options);

    /// <summary>With an exported ONNX backbone (e.g. DINOv3: <c>Create("dinov3_vitl16.onnx", Backbone.Dinov3)</c>).</summary>
    public static DinoSegmenter Create(string modelPath, Backbone backbone, ExtractorOptions? extractorOptions = null, SegmentationOptions? options = null) =>
        new(OnnxFeatureExtractor.Create(modelPath, backbone, extractorOptions), options);

    /// <summary>The backbone runner.</summary>
    public IFeatureExtractor Extractor { get; }

    /// <summary>The per-click path.</summary>
    public SimilaritySegmenter Segmenter { get; }

    /// <summary>Default threshold of the backbone, for callers that have none of their own.</summary>
    public float DefaultThreshold => Extractor.Backbone.DefaultThreshold;

    /// <summary>Decodes (within <paramref name="limits"/>) and extracts features.</summary>
    public PatchFeatures Extract(string imagePath, ImageLimits? limits = null, CancellationToken cancellationToken = default)
    {
        using Image<Rgb24> image = ImageDecoder.Load(imagePath, limits);
        return Extractor.Extract(image, cancellationToken);
    }

    /// <summary>Extracts features of a decoded image.</summary>
    public PatchFeatures Extract(Image<Rgb24> image, CancellationToken cancellationToken = default) =>
        Extractor.Extract(image, cancellationToken);

    /// <summary>One call: extract, then segment from <paramref name="seed"/> at <paramref name="threshold"/>.</summary>
    public SegmentationResult Segment(Image<Rgb24> image, PixelPoint seed, float threshold) =>
        Segmenter.Segment(Extract(image), seed, threshold);

    /// <summary>One call on a file: decode, extract, segment.</summary>
    public SegmentationResult Segment(string imagePath, PixelPoint seed, float threshold) =>
        Segmenter.Segment(Extract(imagePath), seed, threshold);

    /// <summary>Segments already-extracted features (the per-click call).</summary>
    public SegmentationResult Segment(PatchFeatures features, PixelPoint seed, float threshold) =>
        Segmenter.Segment(features, seed, threshold);

    /// <summary>Disposes the extractor if this object owns it. Safe to call more than once.</summary>
    public void Dispose()
    {
        if (_ownsExtractor) Extractor.Dispose();
    }
}
