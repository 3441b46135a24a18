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
    private byte[] _levels; // the map's levels, then (after a mask-refined click) room for the mask behind them
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

    /// <summary>
    /// Whether <see cref="Result"/> holds a segmentation (the threshold-only path needs one); its options, the click's,
    /// apply to later threshold changes too.
    /// </summary>
    public bool HasResult => Result.Options is not null && (Result.Seeds.Count > 0 || Result.Box is not null);

    /// <summary>
    /// The result's map as <see cref="SimilarityMap"/> levels, one byte per pixel, followed when <paramref name="withMask"/>
    /// by the result's mask (0 or 255 per pixel: a mask refinement's answer, which no threshold of the levels gives);
    /// gzip-compressed at the fastest setting when <paramref name="gzip"/> (the map shrinks about 3.5-fold). Valid until
    /// the next call.
    /// </summary>
    /// <returns>The bytes, and how long computing the levels and compressing took, in ms.</returns>
    public (ReadOnlyMemory<byte> Bytes, double LevelsMs, double CompressMs) EncodeMap(bool gzip, bool withMask = false)
    {
        int pixels = Result.Width * Result.Height, length = withMask ? 2 * pixels : pixels;
        if (_levels.Length < length) Array.Resize(ref _levels, length); // the session's first mask-refined click
        long start = Stopwatch.GetTimestamp();
        SimilarityMap.Encode(Result.Similarity, _levels);
        if (withMask) Result.Mask.CopyTo(_levels.AsSpan(pixels));
        double levelsMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return gzip ? Compress(_levels.AsSpan(0, length), levelsMs) : (_levels.AsMemory(0, length), levelsMs, 0);
    }

    /// <summary>The result's mask, 0 or 255 per pixel, gzip-compressed when <paramref name="gzip"/>; valid until the next call.</summary>
    /// <returns>The bytes, and how long compressing took, in ms.</returns>
    public (ReadOnlyMemory<byte> Bytes, double CompressMs) EncodeMask(bool gzip)
    {
        int pixels = Result.Width * Result.Height;
        if (!gzip)
        {
            Result.Mask.CopyTo(_levels);
            return (_levels.AsMemory(0, pixels), 0);
        }

        var (bytes, _, compressMs) = Compress(Result.Mask, 0);
        return (bytes, compressMs);
    }

    private (ReadOnlyMemory<byte> Bytes, double LevelsMs, double CompressMs) Compress(ReadOnlySpan<byte> bytes, double levelsMs)
    {
        long start = Stopwatch.GetTimestamp();
        _compressed ??= new MemoryStream(bytes.Length / 3);
        _compressed.SetLength(0);
        using (var zip = new GZipStream(_compressed, CompressionLevel.Fastest, leaveOpen: true)) zip.Write(bytes);
        return (_compressed.GetBuffer().AsMemory(0, (int)_compressed.Length), levelsMs, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }

    /// <summary>
    /// Memory held: <paramref name="baseBytes"/> (<see cref="BytesFor"/>), plus the refinement's buffers (the filtered map
    /// and four maps of scratch) once a refined click has made them, and the reply's room for a refined mask once a
    /// mask-refined click has needed it.
    /// </summary>
    public long Bytes(long baseBytes)
    {
        long pixels = (long)Result.Width * Result.Height;
        return baseBytes + (Result.Guide is null ? 0 : 5L * pixels * sizeof(float)) + (_levels.Length - pixels);
    }

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
