using System.Diagnostics;

namespace DinoSeg.Kernels;

/// <summary>
/// A 1-D linear map from <see cref="InputLength"/> samples to <see cref="OutputLength"/> samples in which each output reads
/// <see cref="Taps"/> consecutive inputs: output[o] = Σ_t Weights[o·Taps + t] · input[Starts[o] + t].
/// Bilinear upsampling, Gaussian blur with reflected borders, and their composition all have this form, so one
/// separable pass applies "upsample then blur" in a handful of taps per axis on the low-resolution grid.
/// </summary>
/// <remarks>Immutable and thread-safe: one instance may be read by any number of threads.</remarks>
internal sealed class AxisWeights
{
    private readonly int[] _starts;
    private readonly float[] _weights;

    private AxisWeights(int inputLength, int outputLength, int taps, int[] starts, float[] weights)
    {
        InputLength = inputLength;
        OutputLength = outputLength;
        Taps = taps;
        _starts = starts;
        _weights = weights;
        // The kernels read each output's window without bounds checks: it must lie inside the input.
        Debug.Assert(Array.TrueForAll(starts, s => s >= 0 && s + taps <= inputLength), "Every window lies inside the input.");
        Debug.Assert(weights.Length == outputLength * taps, "Taps weights per output.");
    }

    /// <summary>Samples read.</summary>
    public int InputLength { get; }

    /// <summary>Samples written.</summary>
    public int OutputLength { get; }

    /// <summary>Consecutive inputs each output reads (zero weights pad the short ones).</summary>
    public int Taps { get; }

    /// <summary>First input index each output reads.</summary>
    public ReadOnlySpan<int> Starts => _starts;

    /// <summary>Weights, <see cref="Taps"/> per output.</summary>
    public ReadOnlySpan<float> Weights => _weights;

    /// <summary>
    /// Bilinear resize from <paramref name="inputLength"/> to <paramref name="outputLength"/> with the semantics of torch
    /// <c>F.interpolate(mode="bilinear", align_corners=False)</c>, then (if <paramref name="sigma"/> &gt; 0) a Gaussian blur of the
    /// output with the semantics of <c>scipy.ndimage.gaussian_filter(mode="reflect", truncate=4)</c>.
    /// </summary>
    /// <param name="inputLength">Low-resolution length (patch rows or columns).</param>
    /// <param name="outputLength">Full-resolution length (image rows or columns).</param>
    /// <param name="sigma">Gaussian σ in output samples; 0 for none.</param>
    public static AxisWeights BilinearThenGaussian(int inputLength, int outputLength, double sigma)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputLength);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputLength);
        ValidateSigma(sigma);

        // Bilinear: output o reads inputs i0 and i0+1 (clamped) with weights (1 - f, f).
        var lo = new int[outputLength];
        var frac = new double[outputLength];
        float scale = (float)inputLength / outputLength; // torch computes the scale in float for float tensors
        for (int o = 0; o < outputLength; o++)
        {
            float src = MathF.Max(scale * (o + 0.5f) - 0.5f, 0f);
            int i0 = Math.Min((int)src, inputLength - 1);
            lo[o] = i0;
            frac[o] = i0 < inputLength - 1 ? src - i0 : 0;
        }

        double[] gauss = GaussianKernel(sigma);
        int radius = gauss.Length / 2;
        var dense = new double[inputLength];
        return Build(inputLength, outputLength, dense, o =>
        {
            for (int k = -radius; k <= radius; k++)
            {
                int y = Reflect(o + k, outputLength);
                double w = gauss[k + radius];
                dense[lo[y]] += w * (1 - frac[y]);
                if (frac[y] > 0) dense[lo[y] + 1] += w * frac[y];
            }
        });
    }

    /// <summary>Gaussian blur of a length-<paramref name="length"/> signal, as <c>scipy.ndimage.gaussian_filter1d(mode="reflect", truncate=4)</c>.</summary>
    public static AxisWeights Gaussian(int length, double sigma)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        ValidateSigma(sigma);
        double[] gauss = GaussianKernel(sigma);
        int radius = gauss.Length / 2;
        var dense = new double[length];
        return Build(length, length, dense, o =>
        {
            for (int k = -radius; k <= radius; k++) dense[Reflect(o + k, length)] += gauss[k + radius];
        });
    }

    /// <summary>The normalised Gaussian scipy uses: radius ⌊4σ + 0.5⌋, weights ∝ exp(-x²/2σ²). σ = 0 gives the identity [1].</summary>
    internal static double[] GaussianKernel(double sigma)
    {
        // A radius-0 kernel is the identity; returning it early also avoids 0/0 when σ² underflows.
        int radius = GaussianRadius(sigma);
        if (radius == 0) return [1.0];
        var kernel = new double[2 * radius + 1];
        double sum = 0;
        for (int x = -radius; x <= radius; x++) sum += kernel[x + radius] = Math.Exp(-0.5 * x * x / (sigma * sigma));
        for (int i = 0; i < kernel.Length; i++) kernel[i] /= sum;
        return kernel;
    }

    /// <summary>Kernel half-width scipy uses for σ: ⌊4σ + 0.5⌋ (0 for σ = 0).</summary>
    internal static int GaussianRadius(double sigma) => (int)(4.0 * sigma + 0.5);

    /// <summary>scipy's "reflect" border (d c b a | a b c d | d c b a), repeated for kernels wider than the signal.</summary>
    internal static int Reflect(int index, int length)
    {
        int period = 2 * length;
        int m = index % period;
        if (m < 0) m += period;
        return m < length ? m : period - 1 - m;
    }

    /// <summary>Largest σ accepted, in pixels: beyond it a blur is a flat average and its kernel costs memory for nothing.</summary>
    public const double MaxSigma = 1024;

    internal static void ValidateSigma(double sigma)
    {
        if (!(sigma >= 0 && sigma <= MaxSigma))
        {
            throw new ArgumentOutOfRangeException(nameof(sigma), sigma, $"σ must be finite and in [0, {MaxSigma}].");
        }
    }

    // Fills each output's dense row over the inputs, then stores its non-zero span with a common tap count.
    private static AxisWeights Build(int inputLength, int outputLength, double[] dense, Action<int> fillRow)
    {
        var first = new int[outputLength];
        var rows = new double[outputLength][];
        int taps = 1;
        for (int o = 0; o < outputLength; o++)
        {
            Array.Clear(dense);
            fillRow(o);
            int a = 0, b = inputLength - 1;
            while (a < b && dense[a] == 0) a++;
            while (b > a && dense[b] == 0) b--;
            first[o] = a;
            rows[o] = dense[a..(b + 1)];
            taps = Math.Max(taps, b - a + 1);
        }

        var starts = new int[outputLength];
        var weights = new float[outputLength * taps];
        for (int o = 0; o < outputLength; o++)
        {
            int start = Math.Min(first[o], inputLength - taps);
            starts[o] = start;
            for (int t = 0; t < rows[o].Length; t++) weights[o * taps + first[o] - start + t] = (float)rows[o][t];
        }

        return new AxisWeights(inputLength, outputLength, taps, starts, weights);
    }
}
