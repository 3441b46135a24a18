namespace DinoSeg;

/// <summary>
/// A feature cache file cannot be used: not a DinoSeg feature file, an unsupported format version, cut short, corrupt
/// (checksum mismatch), or made for another backbone or image than the caller expects.
/// </summary>
/// <remarks>Immutable once thrown; safe to read from any thread.</remarks>
public sealed class DinoSegFeatureFileException : DinoSegException
{
    /// <inheritdoc cref="DinoSegException(string, string, string, Exception?)"/>
    public DinoSegFeatureFileException(string expected, string found, string fix, Exception? inner = null)
        : base(expected, found, fix, inner) { }
}
