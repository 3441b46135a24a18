namespace DinoSeg;

/// <summary>
/// How an original image maps onto the backbone's patch grid: the working (resized) size and the patch size.
/// One place for pixel ↔ patch conversions, shared by features, results and renderers.
/// </summary>
/// <param name="ImageWidth">Original image width.</param>
/// <param name="ImageHeight">Original image height.</param>
/// <param name="WorkingWidth">Width the backbone saw, a multiple of <paramref name="PatchSize"/>.</param>
/// <param name="WorkingHeight">Height the backbone saw, a multiple of <paramref name="PatchSize"/>.</param>
/// <param name="PatchSize">Patch side in working pixels.</param>
public readonly record struct PatchGrid(int ImageWidth, int ImageHeight, int WorkingWidth, int WorkingHeight, int PatchSize)
{
    /// <summary>Patch rows.</summary>
    public int Rows => WorkingHeight / PatchSize;

    /// <summary>Patch columns.</summary>
    public int Cols => WorkingWidth / PatchSize;

    /// <summary>Whether a pixel lies inside the original image.</summary>
    public bool Contains(PixelPoint point) => (uint)point.X < (uint)ImageWidth && (uint)point.Y < (uint)ImageHeight;

    /// <summary>The patch that covers a pixel of the original image.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The point lies outside the image.</exception>
    public (int Row, int Col) PatchAt(PixelPoint point)
    {
        if (!Contains(point))
        {
            throw new ArgumentOutOfRangeException(nameof(point), point,
                $"The point must lie inside the {ImageWidth}x{ImageHeight} image (0 ≤ x < {ImageWidth}, 0 ≤ y < {ImageHeight}).");
        }

        // The pixel's centre, in working-image coordinates, falls in exactly one patch.
        int col = (int)((point.X + 0.5) * WorkingWidth / ImageWidth) / PatchSize;
        int row = (int)((point.Y + 0.5) * WorkingHeight / ImageHeight) / PatchSize;
        return (Math.Min(row, Rows - 1), Math.Min(col, Cols - 1));
    }

    /// <summary>The original-image pixels a patch covers, as [X0, X1) × [Y0, Y1).</summary>
    public (int X0, int Y0, int X1, int Y1) PatchBounds(int row, int col)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Rows);
        ArgumentOutOfRangeException.ThrowIfNegative(col);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(col, Cols);
        double sx = (double)ImageWidth / WorkingWidth, sy = (double)ImageHeight / WorkingHeight;
        return ((int)Math.Round(col * PatchSize * sx), (int)Math.Round(row * PatchSize * sy),
            (int)Math.Round((col + 1) * PatchSize * sx), (int)Math.Round((row + 1) * PatchSize * sy));
    }
}
