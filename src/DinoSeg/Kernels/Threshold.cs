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
    internal static int ApplyUnchecked(ReadOnlySpan<float> map, float threshold, Span<byte> mask) => Write(map, threshold, mask, minusOld: false);

    /// <summary>
    /// Writes the mask of <paramref name="map"/> at <paramref name="threshold"/> and returns the selected count, less the
    /// count the mask held before when <paramref name="minusOld"/> (a slider move's change, read from the bytes it
    /// overwrites: their cache lines are fetched for the write anyway).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Write(ReadOnlySpan<float> map, float threshold, Span<byte> mask, bool minusOld)
    {
        int i = 0, selected = 0;
        ref float value = ref MemoryMarshal.GetReference(map);
        ref byte bytes = ref MemoryMarshal.GetReference(mask);
        if (Vector512.IsHardwareAccelerated)
        {
            var t = Vector512.Create(threshold);
            for (; i <= map.Length - 64; i += 64) selected += WriteBlock(ref Unsafe.Add(ref value, i), ref Unsafe.Add(ref bytes, i), t, minusOld);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var t = Vector256.Create(threshold);
            for (; i <= map.Length - 32; i += 32)
            {
                var b = Vector256.Narrow(
                    Vector256.Narrow(
                        Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref value, (nuint)i), t).AsInt32(),
                        Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref value, (nuint)i + 8), t).AsInt32()),
                    Vector256.Narrow(
                        Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref value, (nuint)i + 16), t).AsInt32(),
                        Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref value, (nuint)i + 24), t).AsInt32())).AsByte();
                if (minusOld) selected -= BitOperations.PopCount(Vector256.LoadUnsafe(ref bytes, (nuint)i).ExtractMostSignificantBits());
                b.StoreUnsafe(ref bytes, (nuint)i);
                selected += BitOperations.PopCount(b.ExtractMostSignificantBits());
            }
        }

        for (; i < map.Length; i++)
        {
            bool on = map[i] >= threshold;
            if (minusOld) selected -= mask[i] >> 7;
            mask[i] = on ? (byte)255 : (byte)0;
            selected += on ? 1 : 0;
        }

        return selected;
    }

    /// <summary>One 64-value step of <see cref="Write"/> (also inlined into the slider's scan).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int WriteBlock(ref float value, ref byte bytes, Vector512<float> threshold, bool minusOld)
    {
        Vector512<byte> on = Narrow(
            Vector512.GreaterThanOrEqual(Vector512.LoadUnsafe(ref value), threshold).AsInt32(),
            Vector512.GreaterThanOrEqual(Vector512.LoadUnsafe(ref value, 16), threshold).AsInt32(),
            Vector512.GreaterThanOrEqual(Vector512.LoadUnsafe(ref value, 32), threshold).AsInt32(),
            Vector512.GreaterThanOrEqual(Vector512.LoadUnsafe(ref value, 48), threshold).AsInt32());
        int selected = BitOperations.PopCount(on.ExtractMostSignificantBits());
        if (minusOld) selected -= BitOperations.PopCount(Vector512.LoadUnsafe(ref bytes).ExtractMostSignificantBits());
        on.StoreUnsafe(ref bytes);
        return selected;
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
    /// <remarks>
    /// The bounds of 16 blocks are compared at once, and each block that may change is rewritten on its own: on real photos,
    /// streaming whole runs of blocks, or whole rows where most blocks change, measured no faster. The loops make no calls,
    /// so the threshold vectors stay in registers.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int Change(ReadOnlySpan<float> map, int width, ReadOnlySpan<float> bounds, float from, float to, Span<byte> mask)
    {
        int blocks = BlockCount(width);
        if (width <= 0 || map.Length % width != 0 || mask.Length != map.Length || bounds.Length != map.Length / width * 2 * blocks)
        {
            throw new ArgumentException("The map, its bounds and its mask do not fit whole rows of the width.", nameof(bounds));
        }

        float low = Math.Min(from, to), high = Math.Max(from, to);
        int change = 0, rows = map.Length / width, fullBlocks = width / BlockWidth;
        ref float value = ref MemoryMarshal.GetReference(map);
        ref byte bytes = ref MemoryMarshal.GetReference(mask);
        ref float bound = ref MemoryMarshal.GetReference(bounds); // row y: minima from 2·blocks·y, maxima right after
        if (!Vector512.IsHardwareAccelerated)
        {
            for (int y = 0; y < rows; y++)
            {
                for (int k = 0; k < blocks; k++)
                {
                    if (!MayChange(ref bound, 2 * blocks * y + k, blocks, low, high)) continue;
                    int x = y * width + k * BlockWidth, n = Math.Min(BlockWidth, width - k * BlockWidth);
                    change += Write(map.Slice(x, n), to, mask.Slice(x, n), minusOld: true);
                }
            }

            return change;
        }

        Vector512<float> above = Vector512.Create(high), below = Vector512.Create(low), t = Vector512.Create(to);
        for (int y = 0; y < rows; y++)
        {
            int rowBounds = 2 * blocks * y, rowStart = y * width, k = 0;
            for (; k <= fullBlocks - 16; k += 16)
            {
                // A block is skipped when its minimum is ≥ high or its maximum < low (NaN bounds never are).
                ulong skip = (Vector512.GreaterThanOrEqual(Vector512.LoadUnsafe(ref bound, (nuint)(rowBounds + k)), above)
                    | Vector512.LessThan(Vector512.LoadUnsafe(ref bound, (nuint)(rowBounds + blocks + k)), below)).ExtractMostSignificantBits();
                for (ulong may = ~skip & 0xFFFF; may != 0; may &= may - 1)
                {
                    int x = rowStart + (k + BitOperations.TrailingZeroCount(may)) * BlockWidth;
                    change += WriteBlock(ref Unsafe.Add(ref value, x), ref Unsafe.Add(ref bytes, x), t, minusOld: true);
                }
            }

            for (; k < blocks; k++)
            {
                if (!MayChange(ref bound, rowBounds + k, blocks, low, high)) continue;
                int x = rowStart + k * BlockWidth;
                if (k < fullBlocks)
                {
                    change += WriteBlock(ref Unsafe.Add(ref value, x), ref Unsafe.Add(ref bytes, x), t, minusOld: true);
                    continue;
                }

                for (int end = rowStart + width; x < end; x++) // the row's last, shorter block
                {
                    bool on = Unsafe.Add(ref value, x) >= to;
                    change += (on ? 1 : 0) - (Unsafe.Add(ref bytes, x) >> 7);
                    Unsafe.Add(ref bytes, x) = on ? (byte)255 : (byte)0;
                }
            }
        }

        return change;
    }

    // Written so that NaN bounds compare false both ways and the block counts as "may change".
    private static bool MayChange(ref float bound, int block, int blocks, float low, float high) =>
        !(Unsafe.Add(ref bound, block + blocks) < low || Unsafe.Add(ref bound, block) >= high);

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
