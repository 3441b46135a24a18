using System.Diagnostics;
using System.IO.Compression;

namespace DinoSeg.Web;

/// <summary>
/// The per-click state of one client (a browser tab or an API client) on one image: a <see cref="SegmentationResult"/>
/// reused by every click, so clicks allocate no image-sized buffers, and the buffers the page's map is encoded into.
/// </summary>
/// <remarks>A result is not thread-safe: hold <see cref="Gate"/> while using <see cref="Result"/> or the map.</remarks>
internal sealed class ClickSession
{
    private readonly byte[] _levels;
    private MemoryStream? _compressed; // made on the first compressed reply: loopback clients never need it

    public ClickSession(PatchFeatures features)
    {
        Result = new SegmentationResult(features);
        _levels = new byte[features.ImageWidth * features.ImageHeight];
    }

    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>When the session was last found or made (<see cref="Environment.TickCount64"/>); written under its image's lock.</summary>
    public long LastUsedMs { get; set; } = Environment.TickCount64;

    public SegmentationResult Result { get; }

    /// <summary>The segmenter of the last click (its region options apply to later threshold changes too).</summary>
    public SimilaritySegmenter? Segmenter { get; set; }

    /// <summary>Whether <see cref="Result"/> holds a segmentation (the threshold-only path needs one).</summary>
    public bool HasResult => Segmenter is not null && (Result.Seeds.Count > 0 || Result.Box is not null);

    /// <summary>
    /// The result's map as <see cref="SimilarityMap"/> levels, one byte per pixel; gzip-compressed at the fastest setting
    /// when <paramref name="gzip"/> (the map shrinks about 3.5-fold). Valid until the next call.
    /// </summary>
    /// <returns>The bytes, and how long computing the levels and compressing took, in ms.</returns>
    public (ReadOnlyMemory<byte> Bytes, double LevelsMs, double CompressMs) EncodeMap(bool gzip)
    {
        long start = Stopwatch.GetTimestamp();
        SimilarityMap.Encode(Result.Similarity, _levels);
        double levelsMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (!gzip) return (_levels, levelsMs, 0);

        start = Stopwatch.GetTimestamp();
        _compressed ??= new MemoryStream(_levels.Length / 3);
        _compressed.SetLength(0);
        using (var zip = new GZipStream(_compressed, CompressionLevel.Fastest, leaveOpen: true)) zip.Write(_levels);
        return (_compressed.GetBuffer().AsMemory(0, (int)_compressed.Length), levelsMs, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }

    /// <summary>
    /// Memory held: <paramref name="baseBytes"/> (<see cref="BytesFor"/>), plus the refinement's buffers (the filtered map
    /// and four maps of scratch) once a refined click has made them.
    /// </summary>
    public long Bytes(long baseBytes) =>
        baseBytes + (Result.Guide is null ? 0 : 5L * Result.Width * Result.Height * sizeof(float));

    /// <summary>
    /// Approximate memory held, for the cache's byte budget: float similarity, soft mask and negative-seed margin (made on
    /// the first negative seed, counted up front), byte mask, the map.
    /// </summary>
    public static long BytesFor(PatchFeatures features)
    {
        long pixels = (long)features.ImageWidth * features.ImageHeight;
        return pixels * (sizeof(float) + sizeof(float) + sizeof(float) + 1 + 1) + pixels / 8 + features.PatchCount * sizeof(float) + features.Dim * sizeof(float);
    }
}
