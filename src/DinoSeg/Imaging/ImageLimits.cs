namespace DinoSeg;

/// <summary>Limits checked before any pixel buffer is allocated, so a hostile file cannot exhaust memory.</summary>
public sealed record ImageLimits
{
    /// <summary>Most pixels (width × height) an image may declare. Default 100 megapixels.</summary>
    public long MaxPixels { get; init; } = 100_000_000;

    /// <summary>Largest file or stream length accepted, in bytes. Default 256 MiB.</summary>
    public long MaxBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>The defaults.</summary>
    public static ImageLimits Default { get; } = new();
}
