using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.Intrinsics;

namespace DinoSeg.Kernels;

/// <summary>Turns a similarity map into mask bytes: 255 where similarity ≥ threshold, else 0.</summary>
/// <remarks>Stateless and thread-safe.</remarks>
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
        int i = 0, selected = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var t = Vector512.Create(threshold);
            for (; i <= map.Length - 64; i += 64)
            {
                var b = Narrow(
                    Vector512.GreaterThanOrEqual(Vector512.Create(map.Slice(i, 16)), t).AsInt32(),
                    Vector512.GreaterThanOrEqual(Vector512.Create(map.Slice(i + 16, 16)), t).AsInt32(),
                    Vector512.GreaterThanOrEqual(Vector512.Create(map.Slice(i + 32, 16)), t).AsInt32(),
                    Vector512.GreaterThanOrEqual(Vector512.Create(map.Slice(i + 48, 16)), t).AsInt32());
                b.CopyTo(mask.Slice(i, 64));
                selected += BitOperations.PopCount(b.ExtractMostSignificantBits());
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var t = Vector256.Create(threshold);
            for (; i <= map.Length - 32; i += 32)
            {
                var b = Vector256.Narrow(
                    Vector256.Narrow(
                        Vector256.GreaterThanOrEqual(Vector256.Create(map.Slice(i, 8)), t).AsInt32(),
                        Vector256.GreaterThanOrEqual(Vector256.Create(map.Slice(i + 8, 8)), t).AsInt32()),
                    Vector256.Narrow(
                        Vector256.GreaterThanOrEqual(Vector256.Create(map.Slice(i + 16, 8)), t).AsInt32(),
                        Vector256.GreaterThanOrEqual(Vector256.Create(map.Slice(i + 24, 8)), t).AsInt32())).AsByte();
                b.CopyTo(mask.Slice(i, 32));
                selected += BitOperations.PopCount(b.ExtractMostSignificantBits());
            }
        }

        for (; i < map.Length; i++)
        {
            bool on = map[i] >= threshold;
            mask[i] = on ? (byte)255 : (byte)0;
            selected += on ? 1 : 0;
        }

        return selected;
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
