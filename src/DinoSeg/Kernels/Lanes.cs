using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DinoSeg.Kernels;

/// <summary>The SIMD widths a kernel can run at.</summary>
internal enum SimdWidth
{
    /// <summary>No vectors: the scalar loop alone.</summary>
    Scalar = 0,

    /// <summary><see cref="Vector256{T}"/>: 8 floats per vector.</summary>
    Vector256 = 256,

    /// <summary><see cref="Vector512{T}"/>: 16 floats per vector.</summary>
    Vector512 = 512,
}

/// <summary>Which width the kernels take on this machine.</summary>
internal static class Simd
{
    /// <summary>
    /// The widest accelerated width. A static readonly value, so the tiered JIT folds each kernel's width switch to one
    /// branch.
    /// </summary>
    public static readonly SimdWidth Widest =
        Vector512.IsHardwareAccelerated ? SimdWidth.Vector512 : Vector256.IsHardwareAccelerated ? SimdWidth.Vector256 : SimdWidth.Scalar;
}

/// <summary>
/// One SIMD width, for kernels written once: a kernel is generic over a lanes type and its vector type, and the JIT
/// compiles one copy per width (struct type arguments are specialised) with each member below inlined to its intrinsic.
/// Every width runs on every machine: where AVX-512 is missing, <see cref="Vector512{T}"/> is emulated (slowly, but
/// exactly), so the tests check each width in-process.
/// </summary>
/// <typeparam name="TVector">The vector of floats.</typeparam>
internal interface ILanes<TVector> where TVector : unmanaged
{
    /// <summary>Floats per vector.</summary>
    static abstract int Count { get; }

    static abstract TVector Broadcast(float value);

    static abstract TVector Load(ref float source, nuint offset);

    static abstract void Store(TVector value, ref float destination, nuint offset);

    static abstract TVector Add(TVector a, TVector b);

    static abstract TVector Multiply(TVector a, TVector b);

    /// <summary>All-ones lanes where a ≥ b (never for NaN).</summary>
    static abstract TVector GreaterThanOrEqual(TVector a, TVector b);

    /// <summary>All-ones lanes where a &gt; b (never for NaN).</summary>
    static abstract TVector GreaterThan(TVector a, TVector b);

    static abstract TVector Or(TVector a, TVector b);

    /// <summary>One bit per lane: its sign bit (set for the all-ones lanes of a compare).</summary>
    static abstract uint SignBits(TVector value);

    /// <summary>Lanes of <paramref name="whenTrue"/> where <paramref name="mask"/> is all ones, else of <paramref name="whenFalse"/>.</summary>
    static abstract TVector Select(TVector mask, TVector whenTrue, TVector whenFalse);

    /// <summary>The platform's minimum: one instruction, defined only for NaN-free lanes.</summary>
    static abstract TVector MinNative(TVector a, TVector b);

    /// <summary>The platform's maximum: one instruction, defined only for NaN-free lanes.</summary>
    static abstract TVector MaxNative(TVector a, TVector b);

    /// <summary>Whether no lane is NaN.</summary>
    static abstract bool IsOrdered(TVector value);

    /// <summary>The smallest lane of NaN-free lanes.</summary>
    static abstract float MinAcross(TVector value);

    /// <summary>The largest lane of NaN-free lanes.</summary>
    static abstract float MaxAcross(TVector value);

    /// <summary>
    /// Writes the four compare masks as 4 × <see cref="Count"/> mask bytes (255 for an all-ones lane, else 0) and returns
    /// how many are 255.
    /// </summary>
    static abstract int StoreMaskBytes(TVector m0, TVector m1, TVector m2, TVector m3, ref byte destination);

    /// <summary>How many of the 4 × <see cref="Count"/> mask bytes at <paramref name="source"/> are set (their high bit).</summary>
    static abstract int CountMaskBytes(ref byte source);
}

/// <summary>The <see cref="Vector512{T}"/> width.</summary>
internal readonly struct Lanes512 : ILanes<Vector512<float>>
{
    public static int Count => Vector512<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref float source, nuint offset) => Vector512.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> GreaterThanOrEqual(Vector512<float> a, Vector512<float> b) => Vector512.GreaterThanOrEqual(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> GreaterThan(Vector512<float> a, Vector512<float> b) => Vector512.GreaterThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Or(Vector512<float> a, Vector512<float> b) => a | b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint SignBits(Vector512<float> value) => (uint)value.ExtractMostSignificantBits();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Select(Vector512<float> mask, Vector512<float> whenTrue, Vector512<float> whenFalse) =>
        Vector512.ConditionalSelect(mask, whenTrue, whenFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MinNative(Vector512<float> a, Vector512<float> b) => Vector512.MinNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MaxNative(Vector512<float> a, Vector512<float> b) => Vector512.MaxNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsOrdered(Vector512<float> value) => Vector512.EqualsAll(value, value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MinAcross(Vector512<float> value) => Lanes256.MinAcross(Vector256.MinNative(value.GetLower(), value.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector512<float> value) => Lanes256.MaxAcross(Vector256.MaxNative(value.GetLower(), value.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int StoreMaskBytes(Vector512<float> m0, Vector512<float> m1, Vector512<float> m2, Vector512<float> m3, ref byte destination)
    {
        // Narrowing keeps the low half of each lane: all-ones stays all-ones, zero stays zero.
        Vector512<byte> bytes = Vector512.Narrow(
            Vector512.Narrow(m0.AsInt32(), m1.AsInt32()),
            Vector512.Narrow(m2.AsInt32(), m3.AsInt32())).AsByte();
        bytes.StoreUnsafe(ref destination);
        return BitOperations.PopCount(bytes.ExtractMostSignificantBits());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CountMaskBytes(ref byte source) => BitOperations.PopCount(Vector512.LoadUnsafe(ref source).ExtractMostSignificantBits());
}

/// <summary>The <see cref="Vector256{T}"/> width.</summary>
internal readonly struct Lanes256 : ILanes<Vector256<float>>
{
    public static int Count => Vector256<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ref float source, nuint offset) => Vector256.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> GreaterThanOrEqual(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThanOrEqual(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> GreaterThan(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Or(Vector256<float> a, Vector256<float> b) => a | b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint SignBits(Vector256<float> value) => value.ExtractMostSignificantBits();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Select(Vector256<float> mask, Vector256<float> whenTrue, Vector256<float> whenFalse) =>
        Vector256.ConditionalSelect(mask, whenTrue, whenFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MinNative(Vector256<float> a, Vector256<float> b) => Vector256.MinNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MaxNative(Vector256<float> a, Vector256<float> b) => Vector256.MaxNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsOrdered(Vector256<float> value) => Vector256.EqualsAll(value, value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MinAcross(Vector256<float> value)
    {
        Vector128<float> m = Vector128.MinNative(value.GetLower(), value.GetUpper());
        m = Vector128.MinNative(m, Vector128.Shuffle(m, Vector128.Create(2, 3, 0, 1)));
        return Vector128.MinNative(m, Vector128.Shuffle(m, Vector128.Create(1, 0, 3, 2))).ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector256<float> value)
    {
        Vector128<float> m = Vector128.MaxNative(value.GetLower(), value.GetUpper());
        m = Vector128.MaxNative(m, Vector128.Shuffle(m, Vector128.Create(2, 3, 0, 1)));
        return Vector128.MaxNative(m, Vector128.Shuffle(m, Vector128.Create(1, 0, 3, 2))).ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int StoreMaskBytes(Vector256<float> m0, Vector256<float> m1, Vector256<float> m2, Vector256<float> m3, ref byte destination)
    {
        Vector256<byte> bytes = Vector256.Narrow(
            Vector256.Narrow(m0.AsInt32(), m1.AsInt32()),
            Vector256.Narrow(m2.AsInt32(), m3.AsInt32())).AsByte();
        bytes.StoreUnsafe(ref destination);
        return BitOperations.PopCount(bytes.ExtractMostSignificantBits());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CountMaskBytes(ref byte source) => BitOperations.PopCount(Vector256.LoadUnsafe(ref source).ExtractMostSignificantBits());
}
