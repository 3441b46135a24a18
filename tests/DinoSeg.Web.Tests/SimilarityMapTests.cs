using System.Globalization;
using DinoSeg.Rendering;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Web.Tests;

/// <summary>The page's map encoding: thresholding levels on the page must give exactly the library's mask.</summary>
public sealed class SimilarityMapTests
{
    [Fact]
    public void Thresholds_AreTheSliderValuesAsParsedFromJson()
    {
        Assert.Equal(201, SimilarityMap.Thresholds.Count);
        for (int k = 0; k < SimilarityMap.Steps; k++)
        {
            string json = ((k - 100) / 100.0).ToString("0.##", CultureInfo.InvariantCulture); // as JSON.stringify writes 0.2, -0.05, 1
            Assert.Equal(float.Parse(json, CultureInfo.InvariantCulture), SimilarityMap.Thresholds[k]);
            Assert.Equal(k, SimilarityMap.IndexOf(SimilarityMap.Thresholds[k]));
        }

        Assert.Equal(-1, SimilarityMap.IndexOf(0.205f));
    }

    [Fact]
    public void LevelOf_EverySliderThreshold_MatchesTheLibrarysComparison()
    {
        // Random values, the thresholds themselves, and their float neighbours (where rounding would bite).
        var random = new Random(42);
        var values = new List<float> { -1f, 1f, -1.5f, 1.5f, 0f, -0f, float.Epsilon };
        for (int i = 0; i < 5_000; i++) values.Add((float)(random.NextDouble() * 2.2 - 1.1));
        foreach (float t in SimilarityMap.Thresholds) values.AddRange([t, MathF.BitDecrement(t), MathF.BitIncrement(t)]);

        var wrong = new List<string>();
        foreach (float s in values)
        {
            byte level = SimilarityMap.LevelOf(s);
            for (int k = 0; k < SimilarityMap.Steps; k++)
            {
                if (level > k != s >= SimilarityMap.Thresholds[k]) wrong.Add($"s={s:R}, k={k}, level={level}");
            }
        }

        Assert.Empty(wrong);
    }

    [Fact]
    public void Encode_WritesOneLevelPerPixel()
    {
        float[] similarity = [-1f, -0.2f, 0.2f, 0.19999f, 1f, -1.01f];
        var map = new byte[similarity.Length];

        SimilarityMap.Encode(similarity, map);

        Assert.Equal(new byte[] { 1, 81, 121, 120, 201, 0 }, map);
        Assert.Throws<ArgumentException>(() => SimilarityMap.Encode(similarity, new byte[5]));
    }

    [Fact]
    public void LevelColours_AreWithinOneViridisEntryOfEverySimilarityInTheLevel()
    {
        int[] rgb = SimilarityMap.LevelColours();
        Assert.Equal(3 * (SimilarityMap.Steps + 1), rgb.Length);
        var random = new Random(42);
        for (int i = 0; i < 20_000; i++)
        {
            float s = (float)(random.NextDouble() * 2 - 1);
            int level = SimilarityMap.LevelOf(s);
            int exact = IndexOfColour(Renderer.HeatmapColor(s));
            var colour = (rgb[3 * level], rgb[3 * level + 1], rgb[3 * level + 2]);
            bool near = Enumerable.Range(Math.Max(0, exact - 1), Math.Min(255, exact + 1) - Math.Max(0, exact - 1) + 1)
                .Select(k => Renderer.HeatmapColors[k]).Any(c => (c.R, c.G, c.B) == colour);
            Assert.True(near, $"s={s}: level {level} colour {colour} is more than one entry from viridis entry {exact}");
        }
    }

    private static int IndexOfColour(Rgb24 colour)
    {
        for (int k = 0; k < Renderer.HeatmapColors.Count; k++)
        {
            if (Renderer.HeatmapColors[k] == colour) return k;
        }

        return -1;
    }
}
