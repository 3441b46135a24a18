namespace DinoSeg.Evaluation;

/// <summary>One simulated click of the evaluation protocol.</summary>
/// <param name="Point">The clicked pixel.</param>
/// <param name="Positive">True for a click on the object (a positive seed), false for a click on background (a negative seed).</param>
/// <remarks>An immutable value; thread-safe.</remarks>
public readonly record struct Click(PixelPoint Point, bool Positive)
{
    /// <inheritdoc/>
    public override string ToString() => $"{(Positive ? '+' : '-')}{Point}";
}

/// <summary>
/// What the protocol evaluates: something that turns positive and negative clicks into a binary mask of the image
/// (non-zero = object).
/// </summary>
/// <remarks>Implementations need not be thread-safe: the protocol calls one model from one thread.</remarks>
public interface IClickModel
{
    /// <summary>The mask for all clicks so far, row-major at image size; valid until the next call.</summary>
    ReadOnlySpan<byte> Segment(ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives);
}
