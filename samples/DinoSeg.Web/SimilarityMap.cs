using System.Globalization;
using DinoSeg.Rendering;

namespace DinoSeg.Web;

/// <summary>
/// The compact form of a similarity map that the page receives once per click, so that slider moves need no round trip:
/// two byte planes of width × height each.
/// <list type="number">
/// <item>Colour plane: the map's viridis table index (<see cref="Viridis.IndexOf(float)"/>), so the page paints exactly
/// the library's heatmap colours.</item>
/// <item>Level plane: how many of the slider's thresholds (<see cref="Thresholds"/>: -1, -0.99, …, 1) the pixel reaches.
/// The library's mask at slider threshold k is <c>similarity ≥ Thresholds[k]</c>, which is exactly <c>level &gt; k</c>:
/// the page's mask equals the library's at every slider position, not just approximately.</item>
/// </list>
/// </summary>
internal static class SimilarityMap
{
    /// <summary>Slider positions: thresholds -1 to 1 in steps of 0.01.</summary>
    public const int Steps = 201;

    /// <summary>
    /// The slider's thresholds as the server sees them: each is parsed from its two-decimal text, exactly as the JSON number
    /// the page sends (e.g. <c>0.2</c>) is parsed, so both sides compare against the same float.
    /// </summary>
    public static IReadOnlyList<float> Thresholds => Grid;

    private static readonly float[] Grid = BuildGrid();

    /// <summary>Bytes the encoding takes for an image of <paramref name="pixels"/> pixels.</summary>
    public static int Length(int pixels) => 2 * pixels;

    /// <summary>Writes the colour plane then the level plane of <paramref name="similarity"/> into <paramref name="destination"/>.</summary>
    public static void Encode(ReadOnlySpan<float> similarity, Span<byte> destination)
    {
        int n = similarity.Length;
        if (destination.Length < Length(n))
        {
            throw new ArgumentException($"Destination must hold {Length(n)} bytes, found {destination.Length}.", nameof(destination));
        }

        Span<byte> colours = destination[..n], levels = destination.Slice(n, n);
        for (int i = 0; i < n; i++)
        {
            float s = similarity[i];
            colours[i] = (byte)Viridis.IndexOf(s);
            levels[i] = LevelOf(s);
        }
    }

    /// <summary>The number of slider thresholds ≤ <paramref name="similarity"/>, in [0, <see cref="Steps"/>].</summary>
    public static byte LevelOf(float similarity)
    {
        // A first guess from the arithmetic, then exact comparisons against the parsed thresholds fix any rounding.
        float guess = MathF.Floor((similarity + 1f) * 100f);
        int k = guess >= Steps - 1 ? Steps - 1 : guess >= -1 ? (int)guess : -1;
        while (k + 1 < Steps && Grid[k + 1] <= similarity) k++;
        while (k >= 0 && Grid[k] > similarity) k--;
        return (byte)(k + 1);
    }

    /// <summary>The slider index of a threshold on the grid, or -1 when it is off the grid.</summary>
    public static int IndexOf(float threshold)
    {
        int k = (int)MathF.Round((threshold + 1f) * 100f);
        return k is >= 0 and < Steps && Grid[k] == threshold ? k : -1;
    }

    private static float[] BuildGrid()
    {
        var grid = new float[Steps];
        for (int k = 0; k < Steps; k++)
        {
            grid[k] = float.Parse(((k - 100) / 100.0).ToString("0.00", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        }

        return grid;
    }
}
