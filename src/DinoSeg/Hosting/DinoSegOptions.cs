namespace DinoSeg;

/// <summary>
/// What <see cref="Microsoft.Extensions.DependencyInjection.DinoSegServiceCollectionExtensions.AddDinoSeg"/> builds: the model,
/// its backbone preset, the extractor's options (device, working size, threads) and the per-click options.
/// </summary>
/// <remarks>Mutable while the container is configured; read once when the services are first built.</remarks>
public sealed class DinoSegOptions
{
    /// <summary>An exported ONNX backbone (e.g. DINOv3); null uses the embedded ResNet18, which needs no file.</summary>
    public string? ModelPath { get; set; }

    /// <summary>
    /// The preset that describes <see cref="ModelPath"/> (e.g. <see cref="DinoSeg.Backbone.Dinov3"/>); required with a model file.
    /// Without one it must stay null or be <see cref="DinoSeg.Backbone.ResNet18"/> or <see cref="DinoSeg.Backbone.ResNet18Layer3"/>
    /// (or one of them changed with <c>with</c>, e.g. other block weights or long side).
    /// </summary>
    public Backbone? Backbone { get; set; }

    /// <summary>Device, working size and ONNX Runtime settings. Its <see cref="ExtractorOptions.Logger"/> is replaced by the container's logger when one is registered.</summary>
    public ExtractorOptions Extractor { get; set; } = ExtractorOptions.Default;

    /// <summary>Per-click options of the registered <see cref="DinoSegmenter"/>.</summary>
    public SegmentationOptions Segmentation { get; set; } = SegmentationOptions.Default;
}
