using System.Globalization;
using DinoSeg.Rendering;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Web;

/// <summary>
/// The compact form of a similarity map that the page receives once per click, so that slider moves need no round trip:
/// one byte per pixel, its <em>level</em> — how many of the slider's thresholds (<see cref="Thresholds"/>: -1, -0.99, …,
/// 1) the pixel's similarity reaches. The library's mask at slider position k is <c>similarity ≥ Thresholds[k]</c>,
/// which is exactly <c>level &gt; k</c>: the page's mask equals the library's at every slider position, not
/// approximately. The page paints its heatmap from the levels too (<see cref="LevelColours"/>), i.e. with the similarity
/// quantised to the slider's 0.01 steps; the downloadable heatmap is the library's exact render.
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

    /// <summary>
    /// The heatmap colour of each level 0…<see cref="Steps"/>, as R, G, B bytes: viridis of the middle of the level's
    /// similarity interval (the ends for levels 0 and <see cref="Steps"/>). At most one table entry away from the colour of
    /// any similarity in that interval.
    /// </summary>
    public static int[] LevelColours()
    {
        var rgb = new int[(Steps + 1) * 3];
        for (int level = 0; level <= Steps; level++)
        {
            float s = level == 0 ? -1f : level == Steps ? 1f : (Grid[level - 1] + Grid[level]) / 2;
            Rgb24 c = Renderer.HeatmapColor(s);
            (rgb[3 * level], rgb[3 * level + 1], rgb[3 * level + 2]) = (c.R, c.G, c.B);
        }

        return rgb;
    }

    /// <summary>Writes the level of every pixel of <paramref name="similarity"/> into <paramref name="destination"/>.</summary>
    public static void Encode(ReadOnlySpan<float> similarity, Span<byte> destination)
    {
        if (destination.Length < similarity.Length)
        {
            throw new ArgumentException($"Destination must hold {similarity.Length} bytes, found {destination.Length}.", nameof(destination));
        }

        for (int i = 0; i < similarity.Length; i++) destination[i] = LevelOf(similarity[i]);
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
