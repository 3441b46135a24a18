namespace DinoSeg.Web;

/// <summary>
/// The per-click state of one client (a browser tab or an API client) on one image: a <see cref="SegmentationResult"/>
/// reused by every click, so clicks allocate nothing, and the buffer the page's similarity map is encoded into.
/// </summary>
/// <remarks>A result is not thread-safe: hold <see cref="Gate"/> while using <see cref="Result"/> or <see cref="Map"/>.</remarks>
internal sealed class ClickSession
{
    public ClickSession(PatchFeatures features)
    {
        Result = new SegmentationResult(features);
        Map = new byte[SimilarityMap.Length(features.ImageWidth * features.ImageHeight)];
    }

    public SemaphoreSlim Gate { get; } = new(1, 1);

    public SegmentationResult Result { get; }

    public byte[] Map { get; }

    /// <summary>Whether <see cref="Result"/> holds a segmentation (the threshold-only path needs one).</summary>
    public bool HasResult => Result.Seeds.Count > 0;

    /// <summary>Approximate memory held, for the cache's byte budget: float similarity and soft mask, byte mask, the map.</summary>
    public static long BytesFor(PatchFeatures features)
    {
        long pixels = (long)features.ImageWidth * features.ImageHeight;
        return pixels * (sizeof(float) + sizeof(float) + 1 + 2) + features.PatchCount * sizeof(float) + features.Dim * sizeof(float);
    }
}
