using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DinoSeg.Kernels;

/// <summary>
/// Applies a negative-seed margin to a similarity map: where the margin (positive minus negative similarity) is not
/// above zero, the map value is replaced by a value below every threshold, so that the pixel can never be selected.
/// </summary>
/// <remarks>Stateless and thread-safe for distinct destinations.</remarks>
internal static class ExclusionGate
{
    /// <summary>map[i] = margin[i] &gt; 0 ? map[i] : <paramref name="excluded"/> (a NaN margin excludes too).</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static void Apply(Span<float> map, ReadOnlySpan<float> margin, float excluded) => Apply(map, margin, excluded, Simd.Widest);

    /// <summary><see cref="Apply(Span{float}, ReadOnlySpan{float}, float)"/> at a given width.</summary>
    internal static void Apply(Span<float> map, ReadOnlySpan<float> margin, float excluded, SimdWidth width)
    {
        Throw.IfLengthIsNot(margin.Length, map.Length, "Margin", nameof(margin));
        int i = width switch
        {
            SimdWidth.Vector512 => Vectors<Lanes512, Vector512<float>>(map, margin, excluded),
            SimdWidth.Vector256 => Vectors<Lanes256, Vector256<float>>(map, margin, excluded),
            _ => 0,
        };

        for (; i < map.Length; i++)
        {
            if (!(margin[i] > 0)) map[i] = excluded;
        }
    }

    /// <summary>One vector at a time; returns where the scalar rest starts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Vectors<TLanes, TVector>(Span<float> map, ReadOnlySpan<float> margin, float excluded)
        where TLanes : struct, ILanes<TVector> where TVector : unmanaged
    {
        ref float value = ref MemoryMarshal.GetReference(map);
        ref float gate = ref MemoryMarshal.GetReference(margin);
        TVector gone = TLanes.Broadcast(excluded), zero = TLanes.Broadcast(0);
        int i = 0;
        for (; i <= map.Length - TLanes.Count; i += TLanes.Count)
        {
            TVector keep = TLanes.GreaterThan(TLanes.Load(ref gate, (nuint)i), zero);
            TLanes.Store(TLanes.Select(keep, TLanes.Load(ref value, (nuint)i), gone), ref value, (nuint)i);
        }

        return i;
    }
}
