using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace DinoSeg;

/// <summary>
/// Smooths a mask's outline with a majority filter: a pixel is on when more than half of the pixels in the
/// (2r + 1) × (2r + 1) square around it (clipped to the image) are on; on a tie (only possible where the image edge clips
/// the square) it keeps its own value. Removes specks and notches narrower than about r and rounds staircase edges, while
/// straight edges and large shapes stay where they are.
/// </summary>
/// <remarks>
/// Running sums over rows and columns make the cost independent of r (a few integer operations per pixel). Counts are
/// exact integers, so the result does not depend on any ordering. Buffers (a copy of the mask, the column sums) are made on
/// the first call and reused: no allocation per click after warm-up.
/// </remarks>
internal sealed class MaskSmoothing
{
    private byte[] _source = [];
    private int[] _columns = [];

    /// <summary>Filters <paramref name="mask"/> in place; returns how many pixels are on afterwards.</summary>
    /// <param name="mask">Row-major mask, 0 = off, anything else = on; written as 0 or 255.</param>
    /// <param name="width">Row length.</param>
    /// <param name="height">Rows.</param>
    /// <param name="radius">r ≥ 1.</param>
    /// <param name="changed">How many pixels changed.</param>
    public int Apply(Span<byte> mask, int width, int height, int radius, out int changed)
    {
        int n = width * height;
        if (_source.Length < n) _source = new byte[n];
        if (_columns.Length < width) _columns = new int[width];
        Span<byte> source = _source.AsSpan(0, n);
        // The mask as 0/1, so sums and the tie rule are plain integer arithmetic.
        TensorPrimitives.Min(mask, (byte)1, source);
        Span<int> columns = _columns.AsSpan(0, width);
        columns.Clear();
        // Column sums over the window rows [y − r, y + r] ∩ [0, height): start with rows [0, r] for y = 0.
        for (int y = 0; y <= Math.Min(radius, height - 1); y++) AddRow(columns, source.Slice(y * width, width));

        // Columns [lo, hi) have the whole window inside the row: no clipping, both ends of the sum move.
        int lo = Math.Min(radius + 1, width), hi = Math.Max(lo, width - radius);
        int selected = 0;
        changed = 0;
        for (int y = 0; y < height; y++)
        {
            if (y > 0)
            {
                if (y + radius < height) AddRow(columns, source.Slice((y + radius) * width, width));
                if (y - radius - 1 >= 0) SubtractRow(columns, source.Slice((y - radius - 1) * width, width));
            }

            int rowsIn = Math.Min(height - 1, y + radius) - Math.Max(0, y - radius) + 1;
            int sum = 0;
            for (int x = 0; x <= Math.Min(radius, width - 1); x++) sum += columns[x];
            ReadOnlySpan<byte> before = source.Slice(y * width, width);
            Span<byte> after = mask.Slice(y * width, width);
            for (int x = 0; x < lo; x++)
            {
                if (x > 0 && x + radius < width) sum += columns[x + radius];
                Decide(x, sum, rowsIn * (Math.Min(width - 1, x + radius) + 1), before, after, ref selected, ref changed);
            }

            int full = rowsIn * (2 * radius + 1);
            for (int x = lo; x < hi; x++)
            {
                sum += columns[x + radius] - columns[x - radius - 1];
                Decide(x, sum, full, before, after, ref selected, ref changed);
            }

            for (int x = hi; x < width; x++)
            {
                if (x > 0 && x + radius < width) sum += columns[x + radius];
                if (x - radius - 1 >= 0) sum -= columns[x - radius - 1];
                Decide(x, sum, rowsIn * (width - Math.Max(0, x - radius)), before, after, ref selected, ref changed);
            }
        }

        return selected;
    }

    /// <summary>On when 2·sum &gt; window, or on a tie when the pixel was on: 2·sum + was &gt; window (branch-free).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Decide(int x, int sum, int window, ReadOnlySpan<byte> before, Span<byte> after, ref int selected, ref int changed)
    {
        int was = before[x];
        int on = (window - 2 * sum - was) >>> 31;
        after[x] = (byte)-on;
        selected += on;
        changed += on ^ was;
    }

    private static void AddRow(Span<int> columns, ReadOnlySpan<byte> row)
    {
        for (int x = 0; x < columns.Length; x++) columns[x] += row[x];
    }

    private static void SubtractRow(Span<int> columns, ReadOnlySpan<byte> row)
    {
        for (int x = 0; x < columns.Length; x++) columns[x] -= row[x];
    }
}
