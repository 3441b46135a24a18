namespace DinoSeg.Crf;

/// <summary>
/// What the CRF needs of one image for one bilateral kernel, made once and shared by every click: the working grid (the
/// image reduced by a whole factor to a long side of at most <see cref="CrfOptions.WorkingLongSide"/>), the permutohedral
/// lattice of its cells' (x/θα, y/θα, r/θβ, g/θβ, b/θβ), and the lattice's filter of ones, which normalises each filtered
/// value into a kernel-weighted mean.
/// </summary>
/// <remarks>
/// A grid rather than the full image: at a long side of 256 the lattice holds some ten thousand vertices (13 519 for a
/// 1224 x 816 photo) and the iterations cost the same whatever the photo's size, while the 16-pixel patches the unary
/// comes from are still 4 or more grid cells wide at 1024 pixels. The decision is then made at full size from the
/// upsampled probabilities.
/// </remarks>
internal sealed class CrfImage
{
    private CrfImage(int width, int height, int factor, double spatial, double color, PermutohedralLattice lattice, float[] normaliser)
    {
        (Width, Height, Factor, Spatial, Color, Lattice, Normaliser) = (width, height, factor, spatial, color, lattice, normaliser);
    }

    /// <summary>Working-grid width.</summary>
    public int Width { get; }

    /// <summary>Working-grid height.</summary>
    public int Height { get; }

    /// <summary>Image pixels per working cell along each axis (cells at the right and bottom edges may hold fewer).</summary>
    public int Factor { get; }

    /// <summary>θα the lattice was built for.</summary>
    public double Spatial { get; }

    /// <summary>θβ the lattice was built for.</summary>
    public double Color { get; }

    /// <summary>The lattice over the working cells (one point per cell, row-major).</summary>
    public PermutohedralLattice Lattice { get; }

    /// <summary>Per cell, the lattice's filter of ones (always positive: a cell's own weight is in it).</summary>
    public float[] Normaliser { get; }

    /// <summary>The whole reduction factor that brings the long side to at most <see cref="CrfOptions.WorkingLongSide"/>.</summary>
    public static int FactorFor(int width, int height) => Math.Max(1, (Math.Max(width, height) + CrfOptions.WorkingLongSide - 1) / CrfOptions.WorkingLongSide);

    /// <summary>Builds the working grid and lattice of an image (3 bytes per pixel, row-major).</summary>
    public static CrfImage Build(ReadOnlySpan<byte> rgb, int imageWidth, int imageHeight, double spatial, double color)
    {
        int f = FactorFor(imageWidth, imageHeight);
        int width = (imageWidth + f - 1) / f, height = (imageHeight + f - 1) / f, cells = width * height;
        var sums = new long[3 * cells];
        var counts = new int[cells];
        for (int y = 0; y < imageHeight; y++)
        {
            int rowCell = y / f * width;
            for (int x = 0; x < imageWidth; x++)
            {
                int cell = rowCell + x / f, p = 3 * (y * imageWidth + x);
                sums[3 * cell] += rgb[p];
                sums[3 * cell + 1] += rgb[p + 1];
                sums[3 * cell + 2] += rgb[p + 2];
                counts[cell]++;
            }
        }

        var points = new float[PermutohedralLattice.Dimension * cells];
        float toSpatial = (float)(1 / spatial), toColor = (float)(1 / color);
        for (int cell = 0; cell < cells; cell++)
        {
            int at = PermutohedralLattice.Dimension * cell;
            points[at] = cell % width * toSpatial;
            points[at + 1] = cell / width * toSpatial;
            for (int c = 0; c < 3; c++) points[at + 2 + c] = (float)((double)sums[3 * cell + c] / counts[cell]) * toColor;
        }

        PermutohedralLattice lattice = PermutohedralLattice.Build(points);
        var ones = new float[cells];
        Array.Fill(ones, 1f);
        var normaliser = new float[cells];
        lattice.Filter(ones, normaliser, new float[2 * lattice.Vertices]);
        return new CrfImage(width, height, f, spatial, color, lattice, normaliser);
    }
}
