namespace DinoSeg;

/// <summary>
/// A rectangle of original-image pixels, [<paramref name="X0"/>, <paramref name="X1"/>) × [<paramref name="Y0"/>,
/// <paramref name="Y1"/>): the far edges are exclusive, so <c>new PixelRect(0, 0, width, height)</c> is the whole image.
/// </summary>
/// <param name="X0">Left edge, the first column inside.</param>
/// <param name="Y0">Top edge, the first row inside.</param>
/// <param name="X1">Right edge, the first column past the rectangle.</param>
/// <param name="Y1">Bottom edge, the first row past the rectangle.</param>
/// <remarks>An immutable value; thread-safe.</remarks>
public readonly record struct PixelRect(int X0, int Y0, int X1, int Y1)
{
    /// <summary>Columns inside.</summary>
    public int Width => X1 - X0;

    /// <summary>Rows inside.</summary>
    public int Height => Y1 - Y0;

    /// <summary>The pixel at the centre (rounded towards the top left).</summary>
    public PixelPoint Centre => new(X0 + (Width - 1) / 2, Y0 + (Height - 1) / 2);

    /// <summary>Whether a pixel lies inside.</summary>
    public bool Contains(PixelPoint point) => point.X >= X0 && point.X < X1 && point.Y >= Y0 && point.Y < Y1;

    /// <summary>Whether the rectangle is non-empty and lies inside a <paramref name="width"/> × <paramref name="height"/> image.</summary>
    public bool FitsIn(int width, int height) => X0 >= 0 && Y0 >= 0 && X0 < X1 && Y0 < Y1 && X1 <= width && Y1 <= height;

    /// <summary>Grown by <paramref name="dx"/> columns and <paramref name="dy"/> rows on every side, then clipped to the image.</summary>
    public PixelRect Inflate(int dx, int dy, int width, int height) =>
        new(Math.Max(0, X0 - dx), Math.Max(0, Y0 - dy), Math.Min(width, X1 + dx), Math.Min(height, Y1 + dy));

    /// <inheritdoc/>
    public override string ToString() => $"{X0},{Y0},{X1},{Y1}";

    /// <summary>Throws unless the rectangle fits the image.</summary>
    internal void ThrowIfOutside(int width, int height, string paramName)
    {
        if (!FitsIn(width, height))
        {
            throw new ArgumentOutOfRangeException(paramName, this,
                $"The box must lie inside the {width}x{height} image with 0 ≤ X0 < X1 ≤ {width} and 0 ≤ Y0 < Y1 ≤ {height} (X1, Y1 exclusive).");
        }
    }
}
