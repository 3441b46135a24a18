namespace DinoSeg.GrabCut;

/// <summary>
/// The trimap GrabCut starts from, derived from a binary mask: pixels farther than the band radius inside the mask are
/// sure foreground, farther outside it sure background, the band between them undecided (probably foreground inside the
/// mask, probably background outside); prompt seeds are stamped as sure labels.
/// </summary>
internal static class Trimap
{
    /// <summary>
    /// Band radius in pixels: 15 at one megapixel, scaled with the image's linear size (a mask from 16-pixel patches is off
    /// by a similar fraction of the image at any size), at least 4.
    /// </summary>
    public static int BandRadius(int width, int height) => Math.Max(4, (int)Math.Round(15 * Math.Sqrt((double)width * height / 1e6)));

    /// <summary>
    /// The band radius for a mask made on <paramref name="grid"/>: <see cref="BandRadius(int, int)"/>, or half a patch in
    /// image pixels when that is wider (a mask from patch similarities is off by up to about half a patch; a patch covers
    /// more image pixels when the working size is small against the image).
    /// </summary>
    public static int BandRadius(PatchGrid grid)
    {
        double patch = grid.PatchSize * Math.Max((double)grid.ImageWidth / grid.WorkingWidth, (double)grid.ImageHeight / grid.WorkingHeight);
        return Math.Max(BandRadius(grid.ImageWidth, grid.ImageHeight), (int)Math.Ceiling(patch / 2));
    }

    /// <summary>Half-width of the square stamped around each seed (the seed's own pixel and its nearest neighbours).</summary>
    public static int SeedRadius(int bandRadius) => Math.Max(1, bandRadius / 4);

    /// <summary>Integral-image values <see cref="FromMask"/> needs.</summary>
    public static int IntegralLength(int width, int height) => (width + 1) * (height + 1);

    /// <summary>
    /// Classifies every pixel by the mask pixels in its (2r + 1)² window (clipped to the image): all set → sure foreground,
    /// none → sure background, else undecided. A square window: the erosion and dilation by a square, in O(1) per pixel.
    /// </summary>
    /// <exception cref="ArgumentException">A span is too short.</exception>
    public static void FromMask(ReadOnlySpan<byte> mask, int width, int height, int radius, Span<int> integral, Span<byte> trimap)
    {
        int n = width * height, stride = width + 1;
        if (mask.Length < n || trimap.Length < n) throw new ArgumentException($"Mask and trimap must hold {n} values.", nameof(trimap));
        if (integral.Length < IntegralLength(width, height)) throw new ArgumentException($"The integral image needs {IntegralLength(width, height)} values.", nameof(integral));
        integral[..stride].Clear();
        for (int y = 0; y < height; y++)
        {
            ReadOnlySpan<byte> row = mask.Slice(y * width, width);
            Span<int> above = integral.Slice(y * stride, stride), here = integral.Slice((y + 1) * stride, stride);
            int sum = 0;
            here[0] = 0;
            for (int x = 0; x < width; x++)
            {
                sum += row[x] != 0 ? 1 : 0;
                here[x + 1] = above[x + 1] + sum;
            }
        }

        for (int y = 0; y < height; y++)
        {
            int y0 = Math.Max(0, y - radius), y1 = Math.Min(height, y + radius + 1);
            ReadOnlySpan<int> top = integral.Slice(y0 * stride, stride), bottom = integral.Slice(y1 * stride, stride);
            ReadOnlySpan<byte> row = mask.Slice(y * width, width);
            Span<byte> t = trimap.Slice(y * width, width);
            for (int x = 0; x < width; x++)
            {
                int x0 = Math.Max(0, x - radius), x1 = Math.Min(width, x + radius + 1);
                int count = bottom[x1] - bottom[x0] - top[x1] + top[x0];
                t[x] = count == 0 ? GrabCutSolver.Background
                    : count == (x1 - x0) * (y1 - y0) ? GrabCutSolver.Foreground
                    : row[x] != 0 ? GrabCutSolver.ProbablyForeground : GrabCutSolver.ProbablyBackground;
            }
        }
    }

    /// <summary>Sets a (2r + 1)² square around each point, clipped to the image, to <paramref name="value"/>.</summary>
    public static void Stamp(Span<byte> map, int width, int height, IReadOnlyList<PixelPoint> points, int radius, byte value)
    {
        for (int i = 0; i < points.Count; i++)
        {
            PixelPoint p = points[i];
            int y0 = Math.Max(0, p.Y - radius), y1 = Math.Min(height - 1, p.Y + radius);
            int x0 = Math.Max(0, p.X - radius), x1 = Math.Min(width - 1, p.X + radius);
            for (int y = y0; y <= y1; y++) map.Slice(y * width + x0, x1 - x0 + 1).Fill(value);
        }
    }
}
