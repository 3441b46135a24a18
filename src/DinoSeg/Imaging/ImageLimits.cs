namespace DinoSeg;

/// <summary>Limits checked before any pixel buffer is allocated, so a hostile file cannot exhaust memory.</summary>
/// <remarks>Immutable and thread-safe; one instance can serve any number of concurrent decodes.</remarks>
public sealed record ImageLimits
{
    /// <summary>Most pixels (width × height) an image may declare. Default 100 megapixels.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to zero or less.</exception>
    public long MaxPixels
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(MaxPixels));
            field = value;
        }
    } = 100_000_000;

    /// <summary>Largest file or stream length accepted, in bytes. Default 256 MiB.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to zero or less.</exception>
    public long MaxBytes
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(MaxBytes));
            field = value;
        }
    } = 256L * 1024 * 1024;

    /// <summary>
    /// Largest buffer the decoder may allocate while decoding, in mebibytes: ImageSharp's allocation limit, a second line of
    /// defence for what the header check cannot see (a decoder's own working buffers). Null (the default) derives it from
    /// <see cref="MaxPixels"/>: 16 bytes per allowed pixel, at least 64 MiB, at most 4 GiB.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to zero or less.</exception>
    public int? MaxBufferMegabytes
    {
        get;
        init
        {
            if (value is { } v) ArgumentOutOfRangeException.ThrowIfNegativeOrZero(v, nameof(MaxBufferMegabytes));
            field = value;
        }
    }

    /// <summary>The allocation limit in force: <see cref="MaxBufferMegabytes"/>, or the one derived from <see cref="MaxPixels"/>.</summary>
    internal int BufferLimitMegabytes => MaxBufferMegabytes ?? (int)Math.Clamp(MaxPixels * 16 / (1024 * 1024), 64, 4096);

    /// <summary>The defaults.</summary>
    public static ImageLimits Default { get; } = new();
}
