namespace DinoSeg;

/// <summary>Base type of every error DinoSeg raises on purpose; bad arguments raise the usual BCL argument exceptions instead.</summary>
/// <remarks>Immutable once thrown; safe to read from any thread.</remarks>
public abstract class DinoSegException : Exception
{
    /// <summary>Creates the exception from the three parts every DinoSeg error states.</summary>
    /// <param name="expected">What DinoSeg needed.</param>
    /// <param name="found">What it got instead.</param>
    /// <param name="fix">What the caller can do about it.</param>
    /// <param name="inner">The underlying error, if any.</param>
    /// <exception cref="ArgumentNullException">One of the three parts is null.</exception>
    protected DinoSegException(string expected, string found, string fix, Exception? inner = null)
        : base(Compose(expected, found, fix), inner)
    {
        Expected = expected;
        Found = found;
        Fix = fix;
    }

    /// <summary>What DinoSeg needed.</summary>
    public string Expected { get; }

    /// <summary>What it got instead.</summary>
    public string Found { get; }

    /// <summary>What the caller can do about it.</summary>
    public string Fix { get; }

    private static string Compose(string expected, string found, string fix)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(found);
        ArgumentNullException.ThrowIfNull(fix);
        return $"expected {expected}; found {found}. Fix: {fix}";
    }
}

/// <summary>The ONNX model does not fit the backbone it was loaded as: wrong inputs, outputs, token count, patch size or values.</summary>
/// <remarks>Immutable once thrown; safe to read from any thread.</remarks>
public sealed class DinoSegModelException : DinoSegException
{
    /// <inheritdoc cref="DinoSegException(string, string, string, Exception?)"/>
    public DinoSegModelException(string expected, string found, string fix, Exception? inner = null)
        : base(expected, found, fix, inner) { }
}

/// <summary>An image could not be used: unreadable, not an image, truncated, or larger than the configured limits.</summary>
/// <remarks>Immutable once thrown; safe to read from any thread.</remarks>
public sealed class DinoSegImageException : DinoSegException
{
    /// <inheritdoc cref="DinoSegException(string, string, string, Exception?)"/>
    public DinoSegImageException(string expected, string found, string fix, Exception? inner = null)
        : base(expected, found, fix, inner) { }
}

/// <summary>The requested execution device (CUDA) cannot be used on this machine or with this package.</summary>
/// <remarks>Immutable once thrown; safe to read from any thread.</remarks>
public sealed class DinoSegDeviceException : DinoSegException
{
    /// <inheritdoc cref="DinoSegException(string, string, string, Exception?)"/>
    public DinoSegDeviceException(string expected, string found, string fix, Exception? inner = null)
        : base(expected, found, fix, inner) { }
}
