namespace DinoSeg.Tests;

/// <summary>
/// Plain, obviously-correct scalar versions of the per-click kernels, written straight from the torch/scipy definitions
/// in double precision. They share no code with <c>DinoSeg.Kernels</c> (in particular not <c>AxisWeights</c>), so the
/// vectorised, fused library kernels are checked against an independent oracle.
/// </summary>
internal static class ScalarReference
{
    /// <summary>scipy.ndimage's default <c>truncate</c>.</summary>
    public const double Truncate = 4.0;

    /// <summary>Cosine similarity by explicit loops: (a · b) / (|a| |b|).</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException("Vectors differ in length.", nameof(b));
        double dot = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            aa += (double)a[i] * a[i];
            bb += (double)b[i] * b[i];
        }

        return dot / (Math.Sqrt(aa) * Math.Sqrt(bb));
    }

    /// <summary>
    /// torch <c>F.interpolate(mode="bilinear", align_corners=False)</c> of a row-major rows × cols map:
    /// src = max((dst + 0.5)·in/out − 0.5, 0), i0 = ⌊src⌋, i1 = min(i0 + 1, in − 1), λ = src − i0.
    /// </summary>
    public static double[] Bilinear(ReadOnlySpan<float> input, int inRows, int inCols, int outRows, int outCols)
    {
        if (input.Length != inRows * inCols) throw new ArgumentException("Input size mismatch.", nameof(input));
        var output = new double[outRows * outCols];
        for (int y = 0; y < outRows; y++)
        {
            var (y0, y1, ly) = SourceIndex(y, inRows, outRows);
            for (int x = 0; x < outCols; x++)
            {
                var (x0, x1, lx) = SourceIndex(x, inCols, outCols);
                double top = (1 - lx) * input[y0 * inCols + x0] + lx * input[y0 * inCols + x1];
                double bottom = (1 - lx) * input[y1 * inCols + x0] + lx * input[y1 * inCols + x1];
                output[y * outCols + x] = (1 - ly) * top + ly * bottom;
            }
        }

        return output;
    }

    private static (int I0, int I1, double Lambda) SourceIndex(int dst, int inLength, int outLength)
    {
        double src = Math.Max((dst + 0.5) * inLength / outLength - 0.5, 0.0);
        int i0 = (int)Math.Floor(src);
        int i1 = Math.Min(i0 + 1, inLength - 1);
        double lambda = src - i0;
        return (i0, i1, lambda);
    }

    /// <summary>scipy's Gaussian: radius int(4σ + 0.5), weights exp(−x²/2σ²) normalised to sum 1; σ = 0 is the identity.</summary>
    public static double[] GaussianKernel(double sigma)
    {
        if (sigma == 0) return [1.0];
        int radius = (int)(Truncate * sigma + 0.5);
        var weights = new double[2 * radius + 1];
        double sum = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            double x = i - radius;
            weights[i] = Math.Exp(-(x * x) / (2 * sigma * sigma));
            sum += weights[i];
        }

        for (int i = 0; i < weights.Length; i++) weights[i] /= sum;
        return weights;
    }

    /// <summary>scipy's "reflect" border: d c b a | a b c d | d c b a, folded as often as needed.</summary>
    public static int Reflect(int index, int length)
    {
        index %= 2 * length; // the pattern repeats every 2·length samples; this only saves folds
        while (index < 0 || index >= length)
        {
            index = index < 0 ? -index - 1 : 2 * length - 1 - index;
        }

        return index;
    }

    /// <summary>
    /// scipy <c>gaussian_filter(mode="reflect", truncate=4)</c> of a row-major rows × cols map: one 1-D pass down the
    /// columns, then one along the rows, both at full resolution.
    /// </summary>
    public static double[] GaussianBlur(ReadOnlySpan<double> input, int rows, int cols, double sigma)
    {
        if (input.Length != rows * cols) throw new ArgumentException("Input size mismatch.", nameof(input));
        double[] kernel = GaussianKernel(sigma);
        int radius = kernel.Length / 2;
        var vertical = new double[rows * cols];
        for (int y = 0; y < rows; y++)
        {
            for (int x = 0; x < cols; x++)
            {
                double sum = 0;
                for (int k = -radius; k <= radius; k++) sum += kernel[k + radius] * input[Reflect(y + k, rows) * cols + x];
                vertical[y * cols + x] = sum;
            }
        }

        var output = new double[rows * cols];
        for (int y = 0; y < rows; y++)
        {
            for (int x = 0; x < cols; x++)
            {
                double sum = 0;
                for (int k = -radius; k <= radius; k++) sum += kernel[k + radius] * vertical[y * cols + Reflect(x + k, cols)];
                output[y * cols + x] = sum;
            }
        }

        return output;
    }

    /// <summary><see cref="GaussianBlur(ReadOnlySpan{double}, int, int, double)"/> of a float map.</summary>
    public static double[] GaussianBlur(ReadOnlySpan<float> input, int rows, int cols, double sigma)
    {
        var wide = new double[input.Length];
        for (int i = 0; i < input.Length; i++) wide[i] = input[i];
        return GaussianBlur(wide, rows, cols, sigma);
    }

    /// <summary>Bilinear upsampling to full resolution, then a full-resolution Gaussian blur (σ = 0: none).</summary>
    public static double[] UpsampleThenBlur(ReadOnlySpan<float> input, int inRows, int inCols, int outRows, int outCols, double sigma) =>
        GaussianBlur(Bilinear(input, inRows, inCols, outRows, outCols), outRows, outCols, sigma);

    /// <summary>255 where map ≥ threshold, else 0; returns how many were set.</summary>
    public static int Threshold(ReadOnlySpan<float> map, float threshold, Span<byte> mask)
    {
        int count = 0;
        for (int i = 0; i < map.Length; i++)
        {
            if (map[i] >= threshold)
            {
                mask[i] = 255;
                count++;
            }
            else
            {
                mask[i] = 0;
            }
        }

        return count;
    }
}
