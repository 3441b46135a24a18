using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DinoSeg.Kernels;

/// <summary>
/// Applies a negative-seed margin to a similarity map: where the margin (positive minus negative similarity) is not
/// above zero, the map value is replaced by a value below every threshold, so that the pixel can never be selected.
/// </summary>
/// <remarks>Stateless and thread-safe for distinct destinations.</remarks>
public static class ExclusionGate
{
    /// <summary>map[i] = margin[i] &gt; 0 ? map[i] : <paramref name="excluded"/> (a NaN margin excludes too).</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply(Span<float> map, ReadOnlySpan<float> margin, float excluded)
    {
        if (margin.Length != map.Length) throw new ArgumentException($"Margin must hold {map.Length} values, found {margin.Length}.", nameof(margin));
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var gone = Vector512.Create(excluded);
            for (; i <= map.Length - 16; i += 16)
            {
                var keep = Vector512.GreaterThan(Vector512.Create(margin.Slice(i, 16)), Vector512<float>.Zero);
                Vector512.ConditionalSelect(keep, Vector512.Create(map.Slice(i, 16)), gone).CopyTo(map.Slice(i, 16));
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var gone = Vector256.Create(excluded);
            for (; i <= map.Length - 8; i += 8)
            {
                var keep = Vector256.GreaterThan(Vector256.Create(margin.Slice(i, 8)), Vector256<float>.Zero);
                Vector256.ConditionalSelect(keep, Vector256.Create(map.Slice(i, 8)), gone).CopyTo(map.Slice(i, 8));
            }
        }

        for (; i < map.Length; i++)
        {
            if (!(margin[i] > 0)) map[i] = excluded;
        }
    }
}
