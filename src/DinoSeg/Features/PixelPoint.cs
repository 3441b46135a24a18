namespace DinoSeg;

/// <summary>A pixel of the original image (x to the right, y down, both from 0).</summary>
/// <param name="X">Column, 0 ≤ X &lt; image width.</param>
/// <param name="Y">Row, 0 ≤ Y &lt; image height.</param>
/// <remarks>An immutable value; thread-safe. Any values may be stored: the methods that take a point check it against their image.</remarks>
public readonly record struct PixelPoint(int X, int Y)
{
    /// <inheritdoc/>
    public override string ToString() => $"{X},{Y}";

    /// <summary>
    /// The one check of a point against its image, so every caller reports a point outside it the same way
    /// (<paramref name="paramName"/>: the caller's parameter, "point" for the points of a prompt).
    /// </summary>
    internal void ThrowIfOutside(int width, int height, string paramName = "point")
    {
        if ((uint)X >= (uint)width || (uint)Y >= (uint)height)
        {
            throw new ArgumentOutOfRangeException(paramName, this, $"The point must lie inside the {width}x{height} image (0 ≤ x < {width}, 0 ≤ y < {height}).");
        }
    }
}
