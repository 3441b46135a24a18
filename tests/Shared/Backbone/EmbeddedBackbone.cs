namespace DinoSeg.Tests.Shared;

/// <summary>
/// The embedded backbone on the CPU, loaded once per test process and shared by every test that only needs its features
/// or its segmenter: each ONNX Runtime session is a model load of its own (about 0.3 s and 90 MB), and a test process
/// ran 17 of them. Safe to use from parallel tests (an ORT session runs concurrently; the segmenter is thread-safe).
/// Never dispose it: the process ends it. Tests of creation, options, devices, logging or disposal make their own.
/// </summary>
internal static class EmbeddedBackbone
{
    private static readonly Lazy<DinoSegmenter> Shared = new(() => DinoSegmenter.CreateDefault(new ExtractorOptions { Device = ExecutionDevice.Cpu }));

    public static DinoSegmenter Segmenter => Shared.Value;

    public static IFeatureExtractor Extractor => Shared.Value.Extractor;
}
