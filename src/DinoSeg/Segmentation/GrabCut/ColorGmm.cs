using System.Runtime.Intrinsics;

namespace DinoSeg.GrabCut;

/// <summary>
/// A Gaussian mixture over RGB colours (0–255 units) with full 3 × 3 covariances, learnt from sufficient statistics, as in
/// OpenCV's <c>grabcut.cpp</c> (Rother, Kolmogorov and Blake 2004): same components, same covariance regularisation,
/// same (unnormalised) density, so its data terms match OpenCV's. Fixed-size arrays: no allocation after construction.
/// </summary>
internal sealed class ColorGmm
{
    /// <summary>Components per model (OpenCV's value).</summary>
    public const int Components = 5;

    private readonly double[] _weight = new double[Components];
    private readonly double[] _mean = new double[3 * Components];
    private readonly double[] _inverse = new double[9 * Components];
    private readonly double[] _halfLogDet = new double[Components];
    // Per component, for the hot loops: log-density constant (−∞ when empty), ½ log det, mean, and the 6 distinct entries
    // of the symmetric inverse covariance.
    private const int Packed = 11;
    private readonly double[] _packed = new double[Packed * Components];
    private readonly double[] _logNorm = new double[Components]; // log(weight) − ½ log det: the log-density's constant

    // Learning sums (integers: exact and order-independent for pixel colours).
    private readonly long[] _count = new long[Components];
    private readonly long[] _sums = new long[3 * Components];
    private readonly long[] _products = new long[6 * Components]; // rr, rg, rb, gg, gb, bb

    /// <summary>Clears the learning sums.</summary>
    public void BeginLearning()
    {
        Array.Clear(_count);
        Array.Clear(_sums);
        Array.Clear(_products);
    }

    /// <summary>Adds one pixel colour to component <paramref name="k"/>.</summary>
    public void Add(int k, int r, int g, int b)
    {
        _count[k]++;
        _sums[3 * k] += r;
        _sums[3 * k + 1] += g;
        _sums[3 * k + 2] += b;
        int p = 6 * k;
        _products[p] += r * r;
        _products[p + 1] += r * g;
        _products[p + 2] += r * b;
        _products[p + 3] += g * g;
        _products[p + 4] += g * b;
        _products[p + 5] += b * b;
    }

    /// <summary>Adds a whole colour bin's statistics (count, sums, products) to component <paramref name="k"/>.</summary>
    public void Add(int k, in ColorBin bin)
    {
        _count[k] += bin.Count;
        _sums[3 * k] += bin.R;
        _sums[3 * k + 1] += bin.G;
        _sums[3 * k + 2] += bin.B;
        int p = 6 * k;
        _products[p] += bin.RR;
        _products[p + 1] += bin.RG;
        _products[p + 2] += bin.RB;
        _products[p + 3] += bin.GG;
        _products[p + 4] += bin.GB;
        _products[p + 5] += bin.BB;
    }

    /// <summary>
    /// Weights, means and inverse covariances from the sums. A singular covariance (a flat colour) gets 0.01 added to its
    /// diagonal, as OpenCV does, so the density stays finite.
    /// </summary>
    /// <returns>False when no sample was added at all.</returns>
    public bool EndLearning()
    {
        long total = 0;
        for (int k = 0; k < Components; k++) total += _count[k];
        if (total == 0) return false;
        Span<double> c = stackalloc double[9];
        for (int k = 0; k < Components; k++)
        {
            long n = _count[k];
            if (n == 0)
            {
                _weight[k] = 0;
                _logNorm[k] = double.NegativeInfinity;
                _packed[Packed * k] = double.NegativeInfinity;
                continue;
            }

            double inv = 1.0 / n;
            _weight[k] = (double)n / total;
            double mr = _sums[3 * k] * inv, mg = _sums[3 * k + 1] * inv, mb = _sums[3 * k + 2] * inv;
            _mean[3 * k] = mr;
            _mean[3 * k + 1] = mg;
            _mean[3 * k + 2] = mb;
            int p = 6 * k;
            c[0] = _products[p] * inv - mr * mr;
            c[1] = c[3] = _products[p + 1] * inv - mr * mg;
            c[2] = c[6] = _products[p + 2] * inv - mr * mb;
            c[4] = _products[p + 3] * inv - mg * mg;
            c[5] = c[7] = _products[p + 4] * inv - mg * mb;
            c[8] = _products[p + 5] * inv - mb * mb;
            double det = Determinant(c);
            if (det <= double.Epsilon)
            {
                c[0] += 0.01;
                c[4] += 0.01;
                c[8] += 0.01;
                det = Determinant(c);
            }

            Span<double> m = _inverse.AsSpan(9 * k, 9);
            m[0] = (c[4] * c[8] - c[5] * c[7]) / det;
            m[1] = -(c[1] * c[8] - c[2] * c[7]) / det;
            m[2] = (c[1] * c[5] - c[2] * c[4]) / det;
            m[3] = -(c[3] * c[8] - c[5] * c[6]) / det;
            m[4] = (c[0] * c[8] - c[2] * c[6]) / det;
            m[5] = -(c[0] * c[5] - c[2] * c[3]) / det;
            m[6] = (c[3] * c[7] - c[4] * c[6]) / det;
            m[7] = -(c[0] * c[7] - c[1] * c[6]) / det;
            m[8] = (c[0] * c[4] - c[1] * c[3]) / det;
            _halfLogDet[k] = 0.5 * Math.Log(det);
            _logNorm[k] = Math.Log(_weight[k]) - _halfLogDet[k];
            Span<double> q = _packed.AsSpan(Packed * k, Packed);
            (q[0], q[1], q[2], q[3], q[4]) = (_logNorm[k], _halfLogDet[k], mr, mg, mb);
            (q[5], q[6], q[7], q[8], q[9], q[10]) = (m[0], m[1], m[2], m[4], m[5], m[8]);
        }

        return true;
    }

    /// <summary>The component most likely to have produced the colour (OpenCV's <c>whichComponent</c>, without the weight).</summary>
    public int MostLikely(double r, double g, double b)
    {
        ReadOnlySpan<double> p = _packed;
        int best = 0;
        double bestValue = double.NegativeInfinity;
        for (int k = 0; k < Components; k++)
        {
            ReadOnlySpan<double> q = p.Slice(Packed * k, Packed);
            if (double.IsNegativeInfinity(q[0])) continue;
            double value = -q[1] - 0.5 * Mahalanobis(q, r, g, b);
            if (value > bestValue)
            {
                bestValue = value;
                best = k;
            }
        }

        return best;
    }

    /// <summary>
    /// <see cref="MostLikely(double, double, double)"/> of four colours at once, one per lane: the same arithmetic in the
    /// same order, so the same component (ties to the lower index) as the scalar form, bit for bit.
    /// </summary>
    /// <remarks>Reads the model only, so the solver's workers call it at once on different colours.</remarks>
    public Vector256<long> MostLikely(Vector256<double> r, Vector256<double> g, Vector256<double> b)
    {
        ReadOnlySpan<double> p = _packed;
        Vector256<long> best = Vector256<long>.Zero;
        Vector256<double> bestValue = Vector256.Create(double.NegativeInfinity);
        for (int k = 0; k < Components; k++)
        {
            ReadOnlySpan<double> q = p.Slice(Packed * k, Packed);
            if (double.IsNegativeInfinity(q[0])) continue;
            Vector256<double> value = Vector256.Create(-q[1]) - 0.5 * Mahalanobis(q, r, g, b);
            Vector256<double> better = Vector256.GreaterThan(value, bestValue);
            bestValue = Vector256.ConditionalSelect(better, value, bestValue);
            best = Vector256.ConditionalSelect(better.AsInt64(), Vector256.Create((long)k), best);
        }

        return best;
    }

    /// <summary>−log of the mixture density at the colour (OpenCV's data term), by log-sum-exp so far colours stay finite.</summary>
    /// <remarks>The scalar form: the reference the tests hold the solver's four-lane form to.</remarks>
    internal double NegativeLog(double r, double g, double b)
    {
        ReadOnlySpan<double> p = _packed;
        Span<double> terms = stackalloc double[Components];
        double max = double.NegativeInfinity;
        for (int k = 0; k < Components; k++)
        {
            ReadOnlySpan<double> q = p.Slice(Packed * k, Packed);
            double t = double.IsNegativeInfinity(q[0]) ? double.NegativeInfinity : q[0] - 0.5 * Mahalanobis(q, r, g, b);
            terms[k] = t;
            if (t > max) max = t;
        }

        // Terms below e^−40 of the largest cannot change the sum (≥ 1) in double precision: skip their exp.
        double sum = 0;
        for (int k = 0; k < Components; k++)
        {
            double d = terms[k] - max;
            if (d > -40) sum += Math.Exp(d);
        }

        return -(max + Math.Log(sum));
    }

    /// <summary>
    /// <see cref="NegativeLog(double, double, double)"/> of four colours at once, one per lane, with vector exp and log:
    /// the solver's data terms, four band pixels per call. Within a few ulps of the scalar form, not bit for bit.
    /// </summary>
    /// <remarks>Reads the model only, so the solver's workers call it at once on different pixels.</remarks>
    public Vector256<double> NegativeLog(Vector256<double> r, Vector256<double> g, Vector256<double> b)
    {
        ReadOnlySpan<double> p = _packed;
        Span<Vector256<double>> terms = stackalloc Vector256<double>[Components];
        Vector256<double> max = Vector256.Create(double.NegativeInfinity);
        for (int k = 0; k < Components; k++)
        {
            ReadOnlySpan<double> q = p.Slice(Packed * k, Packed);
            if (double.IsNegativeInfinity(q[0]))
            {
                terms[k] = Vector256.Create(double.NegativeInfinity); // an empty component: exp(−∞) adds nothing
                continue;
            }

            Vector256<double> dr = r - Vector256.Create(q[2]), dg = g - Vector256.Create(q[3]), db = b - Vector256.Create(q[4]);
            Vector256<double> squares = dr * dr * q[5] + dg * dg * q[8] + db * db * q[10];
            Vector256<double> crosses = dr * dg * q[6] + dr * db * q[7] + dg * db * q[9];
            Vector256<double> t = Vector256.Create(q[0]) - 0.5 * (squares + 2 * crosses);
            terms[k] = t;
            max = Vector256.Max(max, t);
        }

        // As in the scalar form, a term below e^−40 of the largest cannot change the sum (≥ 1): a component that far in all
        // four lanes is skipped, and the others are held at −700 or above, since exp of a lane beyond about ±708 sends the
        // whole vector to the scalar fallback.
        Vector256<double> sum = Vector256<double>.Zero, floor = Vector256.Create(-700.0), negligible = Vector256.Create(-40.0);
        for (int k = 0; k < Components; k++)
        {
            Vector256<double> d = terms[k] - max;
            if (Vector256.LessThanOrEqualAll(d, negligible)) continue;
            sum += Vector256.Exp(Vector256.Max(d, floor));
        }

        return -(max + Vector256.Log(sum));
    }

    /// <summary>(c − μ)ᵀ Σ⁻¹ (c − μ) with the packed mean and symmetric inverse.</summary>
    private static double Mahalanobis(ReadOnlySpan<double> q, double r, double g, double b)
    {
        double dr = r - q[2], dg = g - q[3], db = b - q[4];
        return dr * dr * q[5] + dg * dg * q[8] + db * db * q[10] + 2 * (dr * dg * q[6] + dr * db * q[7] + dg * db * q[9]);
    }

    /// <summary>The four-lane <see cref="Mahalanobis(ReadOnlySpan{double}, double, double, double)"/>, in the same order.</summary>
    private static Vector256<double> Mahalanobis(ReadOnlySpan<double> q, Vector256<double> r, Vector256<double> g, Vector256<double> b)
    {
        Vector256<double> dr = r - Vector256.Create(q[2]), dg = g - Vector256.Create(q[3]), db = b - Vector256.Create(q[4]);
        return dr * dr * q[5] + dg * dg * q[8] + db * db * q[10] + 2 * (dr * dg * q[6] + dr * db * q[7] + dg * db * q[9]);
    }

    private static double Determinant(ReadOnlySpan<double> c) =>
        c[0] * (c[4] * c[8] - c[5] * c[7]) - c[1] * (c[3] * c[8] - c[5] * c[6]) + c[2] * (c[3] * c[7] - c[4] * c[6]);
}

/// <summary>Sufficient statistics of the pixels of one quantised colour: count, channel sums and channel products.</summary>
internal struct ColorBin
{
    public long Count, R, G, B, RR, RG, RB, GG, GB, BB;

    public void Add(int r, int g, int b)
    {
        Count++;
        R += r;
        G += g;
        B += b;
        RR += r * r;
        RG += r * g;
        RB += r * b;
        GG += g * g;
        GB += g * b;
        BB += b * b;
    }
}
