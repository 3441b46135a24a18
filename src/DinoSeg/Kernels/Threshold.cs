using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.InteropServices;

namespace DinoSeg.Kernels;

/// <summary>Turns a similarity map into mask bytes: 255 where similarity ≥ threshold, else 0.</summary>
/// <remarks>
/// Stateless and thread-safe. Internally it also moves a mask from one threshold to another, rewriting only the blocks of
/// the map whose recorded minimum and maximum admit a value between the two (the slider path).
/// </remarks>
public static class Threshold
{
    /// <summary>Writes the mask and returns how many pixels were selected (NaN values never are).</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threshold"/> is NaN or outside the similarity range [-1, 1].</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Apply(ReadOnlySpan<float> map, float threshold, Span<byte> mask)
    {
        Validate(threshold);
        if (mask.Length != map.Length) throw new ArgumentException($"Mask must hold {map.Length} bytes, found {mask.Length}.", nameof(mask));
        return ApplyUnchecked(map, threshold, mask);
    }

    /// <summary><see cref="Apply"/> for callers that have checked the threshold and that the lengths match.</summary>
    internal static int ApplyUnchecked(ReadOnlySpan<float> map, float threshold, Span<byte> mask) => Move(map, float.NaN, threshold, mask);

    /// <summary>
    /// Writes the mask of <paramref name="map"/> at <paramref name="to"/> and returns how many values are selected at
    /// <paramref name="to"/> minus how many were at <paramref name="from"/> (none at a NaN <paramref name="from"/>): the
    /// change comes from the values already in registers, not from reading the old mask back.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Move(ReadOnlySpan<float> map, float from, float to, Span<byte> mask)
    {
        int i = 0, change = 0;
        ref float value = ref MemoryMarshal.GetReference(map);
        ref byte bytes = ref MemoryMarshal.GetReference(mask);
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> t = Vector512.Create(to), f = Vector512.Create(from);
            for (; i <= map.Length - 64; i += 64) change += MoveBlock(ref Unsafe.Add(ref value, i), ref Unsafe.Add(ref bytes, i), f, t);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> t = Vector256.Create(to), f = Vector256.Create(from);
            for (; i <= map.Length - 32; i += 32)
            {
                Vector256<float> a = Vector256.Create(map.Slice(i, 8)), b = Vector256.Create(map.Slice(i + 8, 8));
                Vector256<float> c = Vector256.Create(map.Slice(i + 16, 8)), d = Vector256.Create(map.Slice(i + 24, 8));
                var on = Vector256.Narrow(
                    Vector256.Narrow(Vector256.GreaterThanOrEqual(a, t).AsInt32(), Vector256.GreaterThanOrEqual(b, t).AsInt32()),
                    Vector256.Narrow(Vector256.GreaterThanOrEqual(c, t).AsInt32(), Vector256.GreaterThanOrEqual(d, t).AsInt32())).AsByte();
                on.CopyTo(mask.Slice(i, 32));
                change += BitOperations.PopCount(on.ExtractMostSignificantBits()) - BitOperations.PopCount(
                    Vector256.GreaterThanOrEqual(a, f).ExtractMostSignificantBits()
                    | Vector256.GreaterThanOrEqual(b, f).ExtractMostSignificantBits() << 8
                    | Vector256.GreaterThanOrEqual(c, f).ExtractMostSignificantBits() << 16
                    | Vector256.GreaterThanOrEqual(d, f).ExtractMostSignificantBits() << 24);
            }
        }

        for (; i < map.Length; i++)
        {
            bool on = map[i] >= to;
            mask[i] = on ? (byte)255 : (byte)0;
            change += (on ? 1 : 0) - (map[i] >= from ? 1 : 0);
        }

        return change;
    }

    /// <summary><see cref="Move"/> for one block of 64 values (the Vector512 step, also inlined into <see cref="Change"/>'s scan).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int MoveBlock(ref float value, ref byte bytes, Vector512<float> from, Vector512<float> to)
    {
        Vector512<float> a = Vector512.LoadUnsafe(ref value), b = Vector512.LoadUnsafe(ref value, 16);
        Vector512<float> c = Vector512.LoadUnsafe(ref value, 32), d = Vector512.LoadUnsafe(ref value, 48);
        Vector512<byte> on = Narrow(
            Vector512.GreaterThanOrEqual(a, to).AsInt32(), Vector512.GreaterThanOrEqual(b, to).AsInt32(),
            Vector512.GreaterThanOrEqual(c, to).AsInt32(), Vector512.GreaterThanOrEqual(d, to).AsInt32());
        on.StoreUnsafe(ref bytes);
        return BitOperations.PopCount(on.ExtractMostSignificantBits()) - BitOperations.PopCount(
            Vector512.GreaterThanOrEqual(a, from).ExtractMostSignificantBits()
            | Vector512.GreaterThanOrEqual(b, from).ExtractMostSignificantBits() << 16
            | Vector512.GreaterThanOrEqual(c, from).ExtractMostSignificantBits() << 32
            | Vector512.GreaterThanOrEqual(d, from).ExtractMostSignificantBits() << 48);
    }

    /// <summary>
    /// Values per block of a row's bounds: the smallest and largest value of each run of this many values, so a threshold
    /// change can skip every block that holds no value between the old and the new threshold.
    /// </summary>
    internal const int BlockWidth = 64;

    /// <summary>How many blocks a row of <paramref name="width"/> values has (the last may be shorter).</summary>
    internal static int BlockCount(int width) => (width + BlockWidth - 1) / BlockWidth;

    /// <summary>
    /// How many floats the bounds of a row of <paramref name="width"/> values take: the minimum of every block, then the
    /// maximum of every block (two runs, so one vector compare covers many blocks).
    /// </summary>
    internal static int BoundsLength(int width) => 2 * BlockCount(width);

    /// <summary>
    /// Writes the minimum and maximum of each <see cref="BlockWidth"/>-value block of <paramref name="row"/> into its bounds
    /// (layout as in <see cref="BoundsLength"/>). A block holding a NaN gets NaN bounds, which <see cref="Change"/> treats
    /// as "may change".
    /// </summary>
    internal static void Bounds(ReadOnlySpan<float> row, Span<float> bounds)
    {
        int blocks = BlockCount(row.Length);
        if (bounds.Length != 2 * blocks) throw new ArgumentException($"Bounds must hold {2 * blocks} values.", nameof(bounds));
        Bounds(row, bounds[..blocks], bounds[blocks..]);
    }

    /// <summary>The bounds of the blocks of <paramref name="row"/> into separate spans of minima and maxima.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Bounds(ReadOnlySpan<float> row, Span<float> lows, Span<float> highs)
    {
        int blocks = BlockCount(row.Length);
        if (lows.Length < blocks || highs.Length < blocks) throw new ArgumentException($"Bounds must hold {blocks} values each.", nameof(lows));
        ref float value = ref MemoryMarshal.GetReference(row);
        ref float low = ref MemoryMarshal.GetReference(lows);
        ref float high = ref MemoryMarshal.GetReference(highs);
        int x = 0, k = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; x <= row.Length - BlockWidth; x += BlockWidth, k++)
            {
                BlockBounds(Vector512.LoadUnsafe(ref value, (nuint)x), Vector512.LoadUnsafe(ref value, (nuint)x + 16),
                    Vector512.LoadUnsafe(ref value, (nuint)x + 32), Vector512.LoadUnsafe(ref value, (nuint)x + 48),
                    ref Unsafe.Add(ref low, k), ref Unsafe.Add(ref high, k));
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; x <= row.Length - BlockWidth; x += BlockWidth, k++)
            {
                Vector256<float> min = Vector256.LoadUnsafe(ref value, (nuint)x), max = min, sum = min;
                for (int j = 8; j < BlockWidth; j += 8)
                {
                    Vector256<float> v = Vector256.LoadUnsafe(ref value, (nuint)(x + j));
                    min = Vector256.MinNative(min, v);
                    max = Vector256.MaxNative(max, v);
                    sum += v;
                }

                bool ordered = Vector256.EqualsAll(sum, sum);
                Unsafe.Add(ref low, k) = ordered ? MinAcross(min) : float.NaN;
                Unsafe.Add(ref high, k) = ordered ? MaxAcross(max) : float.NaN;
            }
        }

        for (; x < row.Length; x += BlockWidth, k++)
        {
            float min = float.PositiveInfinity, max = float.NegativeInfinity;
            for (int j = x; j < Math.Min(row.Length, x + BlockWidth); j++)
            {
                min = MathF.Min(min, row[j]); // MathF.Min/Max propagate NaN
                max = MathF.Max(max, row[j]);
            }

            lows[k] = min;
            highs[k] = max;
        }
    }

    /// <summary>The bounds of one block given as four vectors, or NaN for both if it holds a NaN.</summary>
    /// <remarks>
    /// MinNative/MaxNative are one instruction each; the IEEE Min/Max that propagate NaN cost three on x64. They agree on
    /// NaN-free input, so the block is checked for NaN separately: a NaN, or ∞ − ∞, makes the sum of its values NaN.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void BlockBounds(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d, ref float low, ref float high)
    {
        Vector512<float> min = Vector512.MinNative(Vector512.MinNative(a, b), Vector512.MinNative(c, d));
        Vector512<float> max = Vector512.MaxNative(Vector512.MaxNative(a, b), Vector512.MaxNative(c, d));
        Vector512<float> sum = (a + b) + (c + d);
        bool ordered = Vector512.EqualsAll(sum, sum);
        low = ordered ? MinAcross(Vector256.MinNative(min.GetLower(), min.GetUpper())) : float.NaN;
        high = ordered ? MaxAcross(Vector256.MaxNative(max.GetLower(), max.GetUpper())) : float.NaN;
    }

    /// <summary>
    /// Moves the mask of whole rows of a map from threshold <paramref name="from"/> to <paramref name="to"/>, rewriting only
    /// the blocks whose <paramref name="bounds"/> (from <see cref="Bounds(ReadOnlySpan{float}, Span{float})"/>, row after
    /// row) reach [min(from, to), max(from, to)): in every other block each value lies below both thresholds or at or above
    /// both, so its mask bytes stay as they are. Exact when the mask is the plain <see cref="Apply"/> of the map at
    /// <paramref name="from"/>. Returns the change in the selected count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int Change(ReadOnlySpan<float> map, int width, ReadOnlySpan<float> bounds, float from, float to, Span<byte> mask)
    {
        int blocks = BlockCount(width);
        if (width <= 0 || map.Length % width != 0 || mask.Length != map.Length || bounds.Length != map.Length / width * 2 * blocks)
        {
            throw new ArgumentException("The map, its bounds and its mask do not fit whole rows of the width.", nameof(bounds));
        }

        float low = Math.Min(from, to), high = Math.Max(from, to);
        int change = 0, fullBlocks = width / BlockWidth;
        ref float value = ref MemoryMarshal.GetReference(map);
        ref byte bytes = ref MemoryMarshal.GetReference(mask);
        Vector512<float> above = Vector512.Create(high), below = Vector512.Create(low), t = Vector512.Create(to), f = Vector512.Create(from);
        for (int y = 0, rows = map.Length / width; y < rows; y++)
        {
            ReadOnlySpan<float> lows = bounds.Slice(2 * blocks * y, blocks), highs = bounds.Slice(2 * blocks * y + blocks, blocks);
            int k = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                // 16 blocks per compare: a block is skipped when its minimum is ≥ high or its maximum < low (NaN bounds never are),
                // and each other block is rewritten on its own (on real photos, streaming whole runs instead measured slower).
                for (; k <= blocks - 16; k += 16)
                {
                    ulong skip = (Vector512.GreaterThanOrEqual(Vector512.Create(lows.Slice(k, 16)), above)
                        | Vector512.LessThan(Vector512.Create(highs.Slice(k, 16)), below)).ExtractMostSignificantBits();
                    for (ulong may = ~skip & 0xFFFF; may != 0; may &= may - 1)
                    {
                        int block = k + BitOperations.TrailingZeroCount(may), x = y * width + block * BlockWidth;
                        change += block < fullBlocks
                            ? MoveBlock(ref Unsafe.Add(ref value, x), ref Unsafe.Add(ref bytes, x), f, t)
                            : Move(map.Slice(x, width - block * BlockWidth), from, to, mask.Slice(x, width - block * BlockWidth));
                    }
                }
            }

            for (; k < blocks; k++)
            {
                if (highs[k] < low || lows[k] >= high) continue; // written so that NaN bounds count as "may change"
                int x = y * width + k * BlockWidth, n = Math.Min(BlockWidth, width - k * BlockWidth);
                change += Move(map.Slice(x, n), from, to, mask.Slice(x, n));
            }
        }

        return change;
    }

    // Horizontal minimum / maximum of NaN-free lanes.
    private static float MinAcross(Vector256<float> v)
    {
        Vector128<float> m = Vector128.MinNative(v.GetLower(), v.GetUpper());
        m = Vector128.MinNative(m, Vector128.Shuffle(m, Vector128.Create(2, 3, 0, 1)));
        return Vector128.MinNative(m, Vector128.Shuffle(m, Vector128.Create(1, 0, 3, 2))).ToScalar();
    }

    private static float MaxAcross(Vector256<float> v)
    {
        Vector128<float> m = Vector128.MaxNative(v.GetLower(), v.GetUpper());
        m = Vector128.MaxNative(m, Vector128.Shuffle(m, Vector128.Create(2, 3, 0, 1)));
        return Vector128.MaxNative(m, Vector128.Shuffle(m, Vector128.Create(1, 0, 3, 2))).ToScalar();
    }

    /// <summary>Throws unless <paramref name="threshold"/> is a number in the similarity range [-1, 1] (NaN is not).</summary>
    internal static void Validate(float threshold)
    {
        if (!(threshold >= -1f && threshold <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold must be a number in [-1, 1].");
        }
    }

    private static Vector512<byte> Narrow(Vector512<int> a, Vector512<int> b, Vector512<int> c, Vector512<int> d) =>
        Vector512.Narrow(Vector512.Narrow(a, b), Vector512.Narrow(c, d)).AsByte();
}
