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

    /// <summary>The defaults.</summary>
    public static ImageLimits Default { get; } = new();
}
