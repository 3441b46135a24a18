using System.Globalization;
using System.Runtime.Intrinsics;
using DinoSeg.Kernels;

namespace DinoSeg.Tests.Kernels;

/// <summary>Seeded random inputs and tolerance assertions shared by the kernel tests.</summary>
internal static class KernelTestData
{
    /// <summary>The seed every sweep starts from (TensorPrimitives test discipline).</summary>
    public const int Seed = 42;

    /// <summary>Every length a sweep covers: 0..256 inclusive.</summary>
    public const int MaxSweepLength = 256;

    /// <summary>
    /// Every SIMD width of the kernels written over <c>ILanes</c>, as the bits of a <c>SimdWidth</c> (theory data must be
    /// public; the enum is internal). Each runs on every machine: a width the CPU lacks is emulated by the runtime, slowly
    /// but exactly. The <see cref="SimdOffTests"/> children, which rerun these tests with intrinsics switched off, keep to
    /// the scalar width and the widths still accelerated there: the parent run has covered the others.
    /// </summary>
    public static readonly int[] SimdWidths = Environment.GetEnvironmentVariable(SimdOffTests.ChildMarker) is null
        ? [(int)SimdWidth.Scalar, (int)SimdWidth.Vector256, (int)SimdWidth.Vector512]
        : [(int)SimdWidth.Scalar, .. Vector256.IsHardwareAccelerated ? [(int)SimdWidth.Vector256] : (int[])[],
            .. Vector512.IsHardwareAccelerated ? [(int)SimdWidth.Vector512] : (int[])[]];

    /// <summary><see cref="SimdWidths"/> as theory data.</summary>
    public static TheoryData<int> Widths => [.. SimdWidths];

    /// <summary>Every value of <paramref name="values"/> at every SIMD width.</summary>
    public static TheoryData<T, int> AtEveryWidth<T>(params T[] values)
    {
        var data = new TheoryData<T, int>();
        foreach (T value in values)
        {
            foreach (int width in SimdWidths) data.Add(value, width);
        }

        return data;
    }

    /// <summary>Uniform floats in [-1, 1].</summary>
    public static float[] Uniform(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    /// <summary>A random vector of unit L2 norm (its direction uniform-ish, its values in [-1, 1] before scaling).</summary>
    public static float[] UnitVector(Random random, int dim)
    {
        while (true)
        {
            float[] v = Uniform(random, dim);
            double norm = 0;
            foreach (float x in v) norm += (double)x * x;
            if (norm < 1e-12) continue;
            norm = Math.Sqrt(norm);
            for (int i = 0; i < dim; i++) v[i] = (float)(v[i] / norm);
            return v;
        }
    }

    /// <summary><paramref name="count"/> unit vectors of <paramref name="dim"/> values, back to back.</summary>
    public static float[] UnitVectors(Random random, int count, int dim)
    {
        var all = new float[count * dim];
        for (int p = 0; p < count; p++) UnitVector(random, dim).CopyTo(all, p * dim);
        return all;
    }

    /// <summary>An array filled with NaN, so a kernel that skips an element is caught.</summary>
    public static float[] Poisoned(int length)
    {
        var values = new float[length];
        Array.Fill(values, float.NaN);
        return values;
    }

    /// <summary>
    /// TensorPrimitives' float comparison: equal when |e − a| ≤ tol, or ≤ tol · max(|e|, |a|).
    /// </summary>
    public static bool IsClose(double expected, double actual, double tolerance)
    {
        if (double.IsNaN(expected) || double.IsNaN(actual)) return double.IsNaN(expected) && double.IsNaN(actual);
        if (expected == actual) return true; // infinities
        double diff = Math.Abs(expected - actual);
        return diff <= tolerance || diff <= tolerance * Math.Max(Math.Abs(expected), Math.Abs(actual));
    }

    /// <summary>Asserts every element is within the relative tolerance of <see cref="IsClose"/>.</summary>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double tolerance, string context)
    {
        Assert.True(expected.Length == actual.Length, $"{context}: expected {expected.Length} values, found {actual.Length}.");
        for (int i = 0; i < expected.Length; i++)
        {
            if (!IsClose(expected[i], actual[i], tolerance))
            {
                Assert.Fail(string.Create(CultureInfo.InvariantCulture,
                    $"{context}: element {i} is {actual[i]:R}, expected {expected[i]:R} (tolerance {tolerance})."));
            }
        }
    }

    /// <summary>Asserts max |expected − actual| ≤ <paramref name="maxAbsDiff"/>, reporting the worst element.</summary>
    public static void AssertMaxAbsDiff(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double maxAbsDiff, string context)
    {
        Assert.True(expected.Length == actual.Length, $"{context}: expected {expected.Length} values, found {actual.Length}.");
        double worst = 0;
        int worstIndex = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs(expected[i] - actual[i]);
            if (!(diff <= worst)) // NaN counts as the worst
            {
                worst = double.IsNaN(diff) ? double.PositiveInfinity : diff;
                worstIndex = i;
            }
        }

        if (!(worst <= maxAbsDiff))
        {
            Assert.Fail(string.Create(CultureInfo.InvariantCulture,
                $"{context}: max |diff| {worst:G3} > {maxAbsDiff:G3} at element {worstIndex} (actual {actual[worstIndex]:R}, expected {expected[worstIndex]:R})."));
        }
    }

    /// <summary>Widens floats to doubles.</summary>
    public static double[] ToDouble(ReadOnlySpan<float> values)
    {
        var wide = new double[values.Length];
        for (int i = 0; i < values.Length; i++) wide[i] = values[i];
        return wide;
    }

    /// <summary>The invariant-culture string of a number, for test contexts.</summary>
    public static string Invariant(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
