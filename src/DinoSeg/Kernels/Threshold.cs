using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DinoSeg.Kernels;

/// <summary>Turns a similarity map into mask bytes: 255 where similarity ≥ threshold, else 0.</summary>
/// <remarks>
/// Stateless and thread-safe. Internally it also moves a mask from one threshold to another, rewriting only the blocks of
/// the map whose recorded minimum and maximum admit a value between the two (the slider path). Each loop is written once
/// over <see cref="ILanes{TVector}"/>; the overloads that take a <see cref="SimdWidth"/> let the tests run every width.
/// </remarks>
internal static class Threshold
{
    /// <summary>Writes the mask and returns how many pixels were selected (NaN values never are).</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threshold"/> is NaN or outside the similarity range [-1, 1].</exception>
    public static int Apply(ReadOnlySpan<float> map, float threshold, Span<byte> mask)
    {
        Validate(threshold);
        Throw.IfLengthIsNot(mask.Length, map.Length, "Mask", nameof(mask));
        return ApplyUnchecked(map, threshold, mask);
    }

    /// <summary><see cref="Apply"/> for callers that have checked the threshold and that the lengths match.</summary>
    internal static int ApplyUnchecked(ReadOnlySpan<float> map, float threshold, Span<byte> mask) => ApplyUnchecked(map, threshold, mask, Simd.Widest);

    /// <summary><see cref="ApplyUnchecked(ReadOnlySpan{float}, float, Span{byte})"/> at a given width.</summary>
    internal static int ApplyUnchecked(ReadOnlySpan<float> map, float threshold, Span<byte> mask, SimdWidth width)
    {
        Debug.Assert(mask.Length == map.Length, "The caller checked the lengths.");
        return Write(map, threshold, mask, minusOld: false, width);
    }

    /// <summary>
    /// Writes the mask of <paramref name="map"/> at <paramref name="threshold"/> and returns the selected count, less the
    /// count the mask held before when <paramref name="minusOld"/> (a slider move's change, read from the bytes it
    /// overwrites: their cache lines are fetched for the write anyway).
    /// </summary>
    private static int Write(ReadOnlySpan<float> map, float threshold, Span<byte> mask, bool minusOld, SimdWidth width) => width switch
    {
        SimdWidth.Vector512 => Write<Lanes512, Vector512<float>>(map, threshold, mask, minusOld),
        SimdWidth.Vector256 => Write<Lanes256, Vector256<float>>(map, threshold, mask, minusOld),
        _ => WriteScalar(map, threshold, mask, minusOld, 0, 0),
    };

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Write<TLanes, TVector>(ReadOnlySpan<float> map, float threshold, Span<byte> mask, bool minusOld)
        where TLanes : struct, ILanes<TVector> where TVector : unmanaged
    {
        int i = 0, selected = 0, step = 4 * TLanes.Count;
        ref float value = ref MemoryMarshal.GetReference(map);
        ref byte bytes = ref MemoryMarshal.GetReference(mask);
        TVector t = TLanes.Broadcast(threshold);
        for (; i <= map.Length - step; i += step)
        {
            selected += WriteGroup<TLanes, TVector>(ref Unsafe.Add(ref value, i), ref Unsafe.Add(ref bytes, i), t, minusOld);
        }

        return WriteScalar(map, threshold, mask, minusOld, i, selected);
    }

    /// <summary>The scalar loop from <paramref name="start"/> on, adding to <paramref name="selected"/>: every width's tail.</summary>
    private static int WriteScalar(ReadOnlySpan<float> map, float threshold, Span<byte> mask, bool minusOld, int start, int selected)
    {
        for (int i = start; i < map.Length; i++)
        {
            bool on = map[i] >= threshold;
            if (minusOld) selected -= mask[i] >> 7;
            mask[i] = on ? (byte)255 : (byte)0;
            selected += on ? 1 : 0;
        }

        return selected;
    }

    /// <summary>Four vectors of <see cref="Write"/>: 4 × Count mask bytes and their count (less the old count when asked).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int WriteGroup<TLanes, TVector>(ref float value, ref byte bytes, TVector threshold, bool minusOld)
        where TLanes : struct, ILanes<TVector> where TVector : unmanaged
    {
        int n = TLanes.Count, old = minusOld ? TLanes.CountMaskBytes(ref bytes) : 0;
        return TLanes.StoreMaskBytes(
            TLanes.GreaterThanOrEqual(TLanes.Load(ref value, 0), threshold),
            TLanes.GreaterThanOrEqual(TLanes.Load(ref value, (nuint)n), threshold),
            TLanes.GreaterThanOrEqual(TLanes.Load(ref value, (nuint)(2 * n)), threshold),
            TLanes.GreaterThanOrEqual(TLanes.Load(ref value, (nuint)(3 * n)), threshold), ref bytes) - old;
    }

    /// <summary>One <see cref="BlockWidth"/>-value block of <see cref="Write"/> (inlined into the slider's scan).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int WriteBlock<TLanes, TVector>(ref float value, ref byte bytes, TVector threshold, bool minusOld)
        where TLanes : struct, ILanes<TVector> where TVector : unmanaged
    {
        int selected = 0;
        for (int g = 0; g < BlockWidth; g += 4 * TLanes.Count)
        {
            selected += WriteGroup<TLanes, TVector>(ref Unsafe.Add(ref value, g), ref Unsafe.Add(ref bytes, g), threshold, minusOld);
        }

        return selected;
    }

    /// <summary>
    /// Values per block of a row's bounds: the smallest and largest value of each run of this many values, so a threshold
    /// change can skip every block that holds no value between the old and the new threshold. A multiple of four vectors
    /// of every width.
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
    /// (layout as in <see cref="BoundsLength"/>). A block holding a NaN gets NaN bounds, which <see cref="Change(ReadOnlySpan{float}, int, ReadOnlySpan{float}, float, float, Span{byte})"/>
    /// treats as "may change".
    /// </summary>
    internal static void Bounds(ReadOnlySpan<float> row, Span<float> bounds)
    {
        int blocks = BlockCount(row.Length);
        Throw.IfLengthIsNot(bounds.Length, 2 * blocks, "Bounds", nameof(bounds));
        Bounds(row, bounds[..blocks], bounds[blocks..]);
    }

    /// <summary>The bounds of the blocks of <paramref name="row"/> into separate spans of minima and maxima.</summary>
    internal static void Bounds(ReadOnlySpan<float> row, Span<float> lows, Span<float> highs) => Bounds(row, lows, highs, Simd.Widest);

    /// <summary><see cref="Bounds(ReadOnlySpan{float}, Span{float}, Span{float})"/> at a given width.</summary>
    internal static void Bounds(ReadOnlySpan<float> row, Span<float> lows, Span<float> highs, SimdWidth width)
    {
        int blocks = BlockCount(row.Length);
        Throw.IfShorterThan(Math.Min(lows.Length, highs.Length), blocks, "Each of the bounds' halves", nameof(lows));
        int done = width switch
        {
            SimdWidth.Vector512 => FullBlockBounds<Lanes512, Vector512<float>>(row, lows, highs),
            SimdWidth.Vector256 => FullBlockBounds<Lanes256, Vector256<float>>(row, lows, highs),
            _ => 0,
        };

        for (int k = done, x = done * BlockWidth; x < row.Length; x += BlockWidth, k++)
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

    /// <summary>The bounds of every whole block of the row; returns how many blocks that is.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int FullBlockBounds<TLanes, TVector>(ReadOnlySpan<float> row, Span<float> lows, Span<float> highs)
        where TLanes : struct, ILanes<TVector> where TVector : unmanaged
    {
        ref float value = ref MemoryMarshal.GetReference(row);
        ref float low = ref MemoryMarshal.GetReference(lows);
        ref float high = ref MemoryMarshal.GetReference(highs);
        int k = 0, n = TLanes.Count;
        for (int x = 0; x <= row.Length - BlockWidth; x += BlockWidth, k++)
        {
            BlockBounds<TLanes, TVector> block = BlockBounds<TLanes, TVector>.Empty;
            for (int g = x; g < x + BlockWidth; g += 4 * n)
            {
                block.Add(TLanes.Load(ref value, (nuint)g), TLanes.Load(ref value, (nuint)(g + n)),
                    TLanes.Load(ref value, (nuint)(g + 2 * n)), TLanes.Load(ref value, (nuint)(g + 3 * n)));
            }

            block.Write(ref Unsafe.Add(ref low, k), ref Unsafe.Add(ref high, k));
        }

        return k;
    }

    /// <summary>
    /// Moves the mask of whole rows of a map from threshold <paramref name="from"/> to <paramref name="to"/>, rewriting only
    /// the blocks whose <paramref name="bounds"/> (from <see cref="Bounds(ReadOnlySpan{float}, Span{float})"/>, row after
    /// row) reach [min(from, to), max(from, to)): in every other block each value lies below both thresholds or at or above
    /// both, so its mask bytes stay as they are. Exact when the mask is the plain <see cref="Apply"/> of the map at
    /// <paramref name="from"/>. Returns the change in the selected count.
    /// </summary>
    internal static int Change(ReadOnlySpan<float> map, int width, ReadOnlySpan<float> bounds, float from, float to, Span<byte> mask) =>
        Change(map, width, bounds, from, to, mask, Simd.Widest);

    /// <summary><see cref="Change(ReadOnlySpan{float}, int, ReadOnlySpan{float}, float, float, Span{byte})"/> at a given width.</summary>
    internal static int Change(ReadOnlySpan<float> map, int width, ReadOnlySpan<float> bounds, float from, float to, Span<byte> mask, SimdWidth simd)
    {
        if (width <= 0 || map.Length % width != 0 || mask.Length != map.Length || bounds.Length != map.Length / width * BoundsLength(width))
        {
            Throw.Argument("The map, its bounds and its mask do not fit whole rows of the width.", nameof(bounds));
        }

        float low = Math.Min(from, to), high = Math.Max(from, to);
        return simd switch
        {
            SimdWidth.Vector512 => Change<Lanes512, Vector512<float>>(map, width, bounds, low, high, to, mask),
            SimdWidth.Vector256 => Change<Lanes256, Vector256<float>>(map, width, bounds, low, high, to, mask),
            _ => ChangeScalar(map, width, bounds, low, high, to, mask),
        };
    }

    /// <remarks>
    /// The bounds of Count blocks are compared at once, and each block that may change is rewritten on its own: on real
    /// photos, streaming whole runs of blocks, or whole rows where most blocks change, measured no faster. The loops make
    /// no calls, so the threshold vectors stay in registers.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Change<TLanes, TVector>(ReadOnlySpan<float> map, int width, ReadOnlySpan<float> bounds, float low, float high, float to, Span<byte> mask)
        where TLanes : struct, ILanes<TVector> where TVector : unmanaged
    {
        int blocks = BlockCount(width), n = TLanes.Count;
        int change = 0, rows = map.Length / width, fullBlocks = width / BlockWidth;
        uint allBlocks = (1u << n) - 1;
        ref float value = ref MemoryMarshal.GetReference(map);
        ref byte bytes = ref MemoryMarshal.GetReference(mask);
        ref float bound = ref MemoryMarshal.GetReference(bounds); // row y: minima from 2·blocks·y, maxima right after
        TVector above = TLanes.Broadcast(high), below = TLanes.Broadcast(low), t = TLanes.Broadcast(to);
        for (int y = 0; y < rows; y++)
        {
            int rowBounds = 2 * blocks * y, rowStart = y * width, k = 0;
            for (; k <= fullBlocks - n; k += n)
            {
                // A block is skipped when its minimum is ≥ high or its maximum < low (NaN bounds never are).
                uint skip = TLanes.SignBits(TLanes.Or(
                    TLanes.GreaterThanOrEqual(TLanes.Load(ref bound, (nuint)(rowBounds + k)), above),
                    TLanes.GreaterThan(below, TLanes.Load(ref bound, (nuint)(rowBounds + blocks + k)))));
                for (uint may = ~skip & allBlocks; may != 0; may &= may - 1)
                {
                    int x = rowStart + (k + BitOperations.TrailingZeroCount(may)) * BlockWidth;
                    change += WriteBlock<TLanes, TVector>(ref Unsafe.Add(ref value, x), ref Unsafe.Add(ref bytes, x), t, minusOld: true);
                }
            }

            for (; k < blocks; k++)
            {
                if (!MayChange(ref bound, rowBounds + k, blocks, low, high)) continue;
                int x = rowStart + k * BlockWidth;
                change += k < fullBlocks
                    ? WriteBlock<TLanes, TVector>(ref Unsafe.Add(ref value, x), ref Unsafe.Add(ref bytes, x), t, minusOld: true)
                    : WriteScalar(map[..(rowStart + width)], to, mask[..(rowStart + width)], minusOld: true, x, 0); // the row's last, shorter block
            }
        }

        return change;
    }

    /// <summary>The same scan without vectors: every block is checked, and rewritten when it may change.</summary>
    private static int ChangeScalar(ReadOnlySpan<float> map, int width, ReadOnlySpan<float> bounds, float low, float high, float to, Span<byte> mask)
    {
        int blocks = BlockCount(width), rows = map.Length / width, change = 0;
        ref float bound = ref MemoryMarshal.GetReference(bounds);
        for (int y = 0; y < rows; y++)
        {
            for (int k = 0; k < blocks; k++)
            {
                if (!MayChange(ref bound, 2 * blocks * y + k, blocks, low, high)) continue;
                int x = y * width + k * BlockWidth, n = Math.Min(BlockWidth, width - k * BlockWidth);
                change += WriteScalar(map.Slice(x, n), to, mask.Slice(x, n), minusOld: true, 0, 0);
            }
        }

        return change;
    }

    // Written so that NaN bounds compare false both ways and the block counts as "may change".
    private static bool MayChange(ref float bound, int block, int blocks, float low, float high) =>
        !(Unsafe.Add(ref bound, block + blocks) < low || Unsafe.Add(ref bound, block) >= high);

    /// <summary>Throws unless <paramref name="threshold"/> is a number in the similarity range [-1, 1] (NaN is not).</summary>
    internal static void Validate(float threshold)
    {
        if (!(threshold >= -1f && threshold <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold must be a number in [-1, 1].");
        }
    }
}

/// <summary>
/// The bounds of one <see cref="Threshold.BlockWidth"/>-value block, gathered from the vectors a kernel already holds in
/// registers: their running minimum, maximum and sum.
/// </summary>
/// <remarks>
/// MinNative/MaxNative are one instruction each; the IEEE Min/Max that propagate NaN cost three on x64. They agree on
/// NaN-free input, so the block is checked for NaN separately: a NaN, or ∞ − ∞, makes the sum of its values NaN, and the
/// block then gets NaN bounds ("may change").
/// </remarks>
internal struct BlockBounds<TLanes, TVector> where TLanes : struct, ILanes<TVector> where TVector : unmanaged
{
    private TVector _min, _max, _sum;

    public static BlockBounds<TLanes, TVector> Empty
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new() { _min = TLanes.Broadcast(float.PositiveInfinity), _max = TLanes.Broadcast(float.NegativeInfinity), _sum = TLanes.Broadcast(0) };
    }

    /// <summary>Takes four more vectors of the block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(TVector a, TVector b, TVector c, TVector d)
    {
        _min = TLanes.MinNative(_min, TLanes.MinNative(TLanes.MinNative(a, b), TLanes.MinNative(c, d)));
        _max = TLanes.MaxNative(_max, TLanes.MaxNative(TLanes.MaxNative(a, b), TLanes.MaxNative(c, d)));
        _sum = TLanes.Add(_sum, TLanes.Add(TLanes.Add(a, b), TLanes.Add(c, d)));
    }

    /// <summary>The block's minimum and maximum, or NaN for both if it holds a NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Write(ref float low, ref float high)
    {
        bool ordered = TLanes.IsOrdered(_sum);
        low = ordered ? TLanes.MinAcross(_min) : float.NaN;
        high = ordered ? TLanes.MaxAcross(_max) : float.NaN;
    }
}
