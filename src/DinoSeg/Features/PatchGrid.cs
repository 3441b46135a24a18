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
/// <remarks>
/// Sizes are checked when the grid is made: all positive (also when changed through <c>with</c>), working sizes multiples of
/// the patch size. Immutable and thread-safe.
/// </remarks>
/// <exception cref="ArgumentOutOfRangeException">A size is zero or negative.</exception>
/// <exception cref="ArgumentException">A working size is not a multiple of the patch size.</exception>
public readonly record struct PatchGrid(int ImageWidth, int ImageHeight, int WorkingWidth, int WorkingHeight, int PatchSize)
{
    /// <summary>Original image width.</summary>
    public int ImageWidth { get; init => field = Positive(value, nameof(ImageWidth)); } = Positive(ImageWidth, nameof(ImageWidth));

    /// <summary>Original image height.</summary>
    public int ImageHeight { get; init => field = Positive(value, nameof(ImageHeight)); } = Positive(ImageHeight, nameof(ImageHeight));

    /// <summary>Width the backbone saw, a multiple of <see cref="PatchSize"/>.</summary>
    public int WorkingWidth { get; init => field = Positive(value, nameof(WorkingWidth)); } = MultipleOf(WorkingWidth, PatchSize, nameof(WorkingWidth));

    /// <summary>Height the backbone saw, a multiple of <see cref="PatchSize"/>.</summary>
    public int WorkingHeight { get; init => field = Positive(value, nameof(WorkingHeight)); } = MultipleOf(WorkingHeight, PatchSize, nameof(WorkingHeight));

    /// <summary>Patch side in working pixels.</summary>
    public int PatchSize { get; init => field = Positive(value, nameof(PatchSize)); } = Positive(PatchSize, nameof(PatchSize));

    /// <summary>Patch rows (0 for <c>default(PatchGrid)</c>).</summary>
    public int Rows => PatchSize == 0 ? 0 : WorkingHeight / PatchSize;

    /// <summary>Patch columns (0 for <c>default(PatchGrid)</c>).</summary>
    public int Cols => PatchSize == 0 ? 0 : WorkingWidth / PatchSize;

    /// <summary>Whether a pixel lies inside the original image.</summary>
    public bool Contains(PixelPoint point) => (uint)point.X < (uint)ImageWidth && (uint)point.Y < (uint)ImageHeight;

    /// <summary>The patch that covers a pixel of the original image.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The point lies outside the image.</exception>
    public (int Row, int Col) PatchAt(PixelPoint point)
    {
        point.ThrowIfOutside(ImageWidth, ImageHeight);
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

    private static int Positive(int value, string name)
    {
        if (value <= 0) throw new ArgumentOutOfRangeException(name, value, "Grid sizes must be positive.");
        return value;
    }

    private static int MultipleOf(int value, int patchSize, string name)
    {
        Positive(value, name);
        if (patchSize > 0 && value % patchSize != 0)
        {
            throw new ArgumentException($"{name} {value} must be a multiple of the patch size {patchSize}.", name);
        }

        return value;
    }
}
