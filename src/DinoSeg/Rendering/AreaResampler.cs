using System.Numerics;

namespace DinoSeg.Rendering;

/// <summary>
/// Resizes a single-channel map by area averaging (each output pixel is the mean of the source area it covers), in two
/// separable passes. Used to bring full-resolution similarity and masks down to the panel's size without aliasing.
/// </summary>
internal static class AreaResampler
{
    /// <summary>Resamples <paramref name="source"/> (sourceWidth × sourceHeight) into <paramref name="destination"/> (width × height).</summary>
    /// <param name="source">Row-major source values.</param>
    /// <param name="sourceWidth">Source width.</param>
    /// <param name="sourceHeight">Source height.</param>
    /// <param name="destination">Row-major output, width × height.</param>
    /// <param name="width">Output width.</param>
    /// <param name="height">Output height.</param>
    /// <param name="scale">Factor applied to every output value (e.g. 1/255 for mask bytes).</param>
    public static void Resample<T>(ReadOnlySpan<T> source, int sourceWidth, int sourceHeight,
        Span<float> destination, int width, int height, float scale = 1f)
        where T : unmanaged, INumberBase<T>
    {
        if (source.Length != sourceWidth * sourceHeight) throw new ArgumentException("Source size mismatch.", nameof(source));
        if (destination.Length != width * height) throw new ArgumentException("Destination size mismatch.", nameof(destination));

        var cols = Axis.Create(sourceWidth, width);
        var rows = Axis.Create(sourceHeight, height);
        var horizontal = new float[sourceHeight * width];
        for (int y = 0; y < sourceHeight; y++)
        {
            ReadOnlySpan<T> src = source.Slice(y * sourceWidth, sourceWidth);
            Span<float> dst = horizontal.AsSpan(y * width, width);
            for (int x = 0; x < width; x++)
            {
                int start = cols.Start[x];
                ReadOnlySpan<float> w = cols.Weights(x);
                float sum = 0;
                for (int k = 0; k < w.Length; k++) sum += w[k] * float.CreateTruncating(src[start + k]);
                dst[x] = sum * scale;
            }
        }

        for (int y = 0; y < height; y++)
        {
            Span<float> dst = destination.Slice(y * width, width);
            dst.Clear();
            int start = rows.Start[y];
            ReadOnlySpan<float> w = rows.Weights(y);
            for (int k = 0; k < w.Length; k++)
            {
                ReadOnlySpan<float> src = horizontal.AsSpan((start + k) * width, width);
                float wk = w[k];
                for (int x = 0; x < width; x++) dst[x] += wk * src[x];
            }
        }
    }

    /// <summary>Per output index along one axis: the first source index and the normalised overlap weights.</summary>
    private sealed class Axis
    {
        private readonly int[] _offset;
        private readonly float[] _weights;

        private Axis(int[] start, int[] offset, float[] weights)
        {
            Start = start;
            _offset = offset;
            _weights = weights;
        }

        public int[] Start { get; }

        public ReadOnlySpan<float> Weights(int i) => _weights.AsSpan(_offset[i], _offset[i + 1] - _offset[i]);

        public static Axis Create(int sourceSize, int size)
        {
            var start = new int[size];
            var offset = new int[size + 1];
            var weights = new List<float>(size * (sourceSize / size + 2));
            double step = (double)sourceSize / size;
            for (int i = 0; i < size; i++)
            {
                double from = i * step, to = Math.Min(sourceSize, (i + 1) * step);
                int first = Math.Min((int)from, sourceSize - 1), last = Math.Max(first, (int)Math.Ceiling(to) - 1);
                start[i] = first;
                offset[i] = weights.Count;
                for (int j = first; j <= last; j++)
                {
                    weights.Add((float)((Math.Min(to, j + 1) - Math.Max(from, j)) / (to - from)));
                }
            }

            offset[size] = weights.Count;
            return new Axis(start, offset, weights.ToArray());
        }
    }
}
