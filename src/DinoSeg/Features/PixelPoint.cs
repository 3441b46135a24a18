namespace DinoSeg;

/// <summary>A pixel of the original image (x to the right, y down, both from 0).</summary>
/// <param name="X">Column, 0 ≤ X &lt; image width.</param>
/// <param name="Y">Row, 0 ≤ Y &lt; image height.</param>
/// <remarks>An immutable value; thread-safe. Any values may be stored: the methods that take a point check it against their image.</remarks>
public readonly record struct PixelPoint(int X, int Y)
{
    /// <inheritdoc/>
    public override string ToString() => $"{X},{Y}";
}
