namespace DinoSeg.Evaluation;

/// <summary>
/// Exact Euclidean distance transform (Felzenszwalb and Huttenlocher's lower envelope of parabolas, two separable passes):
/// for every set pixel of a mask, the squared distance to the nearest unset pixel, where everything outside the image counts
/// as unset (so a region touching the border is "thin" there, as the RITM protocol pads its error masks).
/// </summary>
internal sealed class DistanceTransform
{
    private const double Far = 1e20;
    private double[] _grid = [], _f = [], _d = [], _z = [];
    private int[] _v = [];

    /// <summary>Squared distances for the pixels where <paramref name="mask"/> is non-zero (0 elsewhere).</summary>
    public void Compute(ReadOnlySpan<byte> mask, int width, int height, Span<double> squared)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (mask.Length != width * height) throw new ArgumentException($"Mask must hold {width * height} values, found {mask.Length}.", nameof(mask));
        if (squared.Length != mask.Length) throw new ArgumentException($"Destination must hold {mask.Length} values, found {squared.Length}.", nameof(squared));

        // A one-pixel unset frame makes the image border a boundary.
        int pw = width + 2, ph = height + 2, longest = Math.Max(pw, ph);
        if (_grid.Length < pw * ph) _grid = new double[pw * ph];
        if (_f.Length < longest)
        {
            _f = new double[longest];
            _d = new double[longest];
            _v = new int[longest];
            _z = new double[longest + 1];
        }

        Span<double> grid = _grid.AsSpan(0, pw * ph);
        grid.Clear();
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++) grid[(y + 1) * pw + x + 1] = mask[y * width + x] != 0 ? Far : 0;
        }

        for (int x = 0; x < pw; x++)
        {
            for (int y = 0; y < ph; y++) _f[y] = grid[y * pw + x];
            Envelope(ph);
            for (int y = 0; y < ph; y++) grid[y * pw + x] = _d[y];
        }

        for (int y = 0; y < ph; y++)
        {
            grid.Slice(y * pw, pw).CopyTo(_f);
            Envelope(pw);
            _d.AsSpan(0, pw).CopyTo(grid.Slice(y * pw, pw));
        }

        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++) squared[y * width + x] = mask[y * width + x] != 0 ? grid[(y + 1) * pw + x + 1] : 0;
        }
    }

    /// <summary>d(q) = min over p of (q − p)² + f(p), for q in [0, n).</summary>
    private void Envelope(int n)
    {
        double[] f = _f, d = _d, z = _z;
        int[] v = _v;
        int k = 0;
        v[0] = 0;
        z[0] = double.NegativeInfinity;
        z[1] = double.PositiveInfinity;
        for (int q = 1; q < n; q++)
        {
            double s = Intersection(f, v[k], q);
            while (s <= z[k])
            {
                k--;
                s = Intersection(f, v[k], q);
            }

            k++;
            v[k] = q;
            z[k] = s;
            z[k + 1] = double.PositiveInfinity;
        }

        k = 0;
        for (int q = 0; q < n; q++)
        {
            while (z[k + 1] < q) k++;
            double dq = q - v[k];
            d[q] = dq * dq + f[v[k]];
        }
    }

    private static double Intersection(double[] f, int p, int q) => (f[q] + (double)q * q - (f[p] + (double)p * p)) / (2.0 * (q - p));
}
