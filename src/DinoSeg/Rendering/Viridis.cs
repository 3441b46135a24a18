using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Rendering;

/// <summary>
/// matplotlib's perceptually uniform "viridis" colour map as a 256-entry lookup table, laid over the similarity range
/// [-1, 1]: -1 is dark violet, 0 teal, +1 yellow.
/// </summary>
/// <remarks>
/// The table is data generated from matplotlib by <c>tools/reference/make_viridis_table.py</c>. Stateless and thread-safe.
/// </remarks>
internal static partial class Viridis
{
    /// <summary>Number of entries in the table.</summary>
    public const int Size = 256;

    /// <summary>The table entry for <paramref name="value"/>: ((v + 1) / 2 × 255), clamped to [0, 255] and rounded half up; NaN maps to 0.</summary>
    public static int IndexOf(float value)
    {
        float scaled = (value + 1f) * 127.5f + 0.5f;
        // The negated test sends NaN to entry 0 too.
        if (!(scaled >= 0.5f)) return 0;
        return scaled >= Size - 1 ? Size - 1 : (int)scaled;
    }

    /// <summary>The colour of table entry <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not in [0, 255].</exception>
    public static Rgb24 At(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Size);
        ReadOnlySpan<byte> rgb = Rgb.Slice(index * 3, 3);
        return new Rgb24(rgb[0], rgb[1], rgb[2]);
    }

    /// <summary>The colour of a similarity value in [-1, 1] (values outside are clamped).</summary>
    public static Rgb24 Map(float value) => At(IndexOf(value));

    /// <summary>Maps a whole row of values to colours.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="values"/>.</exception>
    public static void Map(ReadOnlySpan<float> values, Span<Rgb24> destination)
    {
        if (destination.Length < values.Length)
        {
            throw new ArgumentException($"Destination must hold {values.Length} pixels, found {destination.Length}.", nameof(destination));
        }

        ReadOnlySpan<byte> table = Rgb;
        for (int i = 0; i < values.Length; i++)
        {
            int k = IndexOf(values[i]) * 3;
            destination[i] = new Rgb24(table[k], table[k + 1], table[k + 2]);
        }
    }
}
