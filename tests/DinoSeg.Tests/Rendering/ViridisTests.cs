using DinoSeg.Rendering;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Tests.Rendering;

public class ViridisTests
{
    [Fact]
    public void At_Endpoints_AreMatplotlibViridis()
    {
        // Arrange / Act
        Rgb24 low = Viridis.At(0), high = Viridis.At(Viridis.Size - 1);

        // Assert: matplotlib's #440154 and #fde725.
        Assert.Equal(new Rgb24(68, 1, 84), low);
        Assert.Equal(new Rgb24(253, 231, 36), high);
    }

    [Fact]
    public void RendererHeatmapColors_AreTheTable_AndHeatmapColorIsMap()
    {
        Assert.Equal(Viridis.Size, Renderer.HeatmapColors.Count);
        for (int k = 0; k < Viridis.Size; k++)
        {
            Assert.Equal(Viridis.At(k), Renderer.HeatmapColors[k]);
            Assert.Equal(Renderer.HeatmapColors[k], Renderer.HeatmapColor(-1f + 2f * k / 255)); // entry k sits at -1 + 2k/255
        }

        foreach (float v in (float[])[-3f, -0.37f, 0f, 0.5f, 2f, float.NaN]) Assert.Equal(Viridis.Map(v), Renderer.HeatmapColor(v));
    }

    [Fact]
    public void Map_MinusOneZeroOne_GiveFirstMiddleAndLastEntries()
    {
        // Arrange / Act
        Rgb24 low = Viridis.Map(-1f), mid = Viridis.Map(0f), high = Viridis.Map(1f);

        // Assert: 0 → (0 + 1) / 2 × 255 = 127.5, rounded half up to entry 128 = matplotlib's (32, 144, 140).
        Assert.Equal(Viridis.At(0), low);
        Assert.Equal(new Rgb24(32, 144, 140), mid);
        Assert.Equal(Viridis.At(128), mid);
        Assert.Equal(Viridis.At(255), high);
    }

    [Theory]
    [InlineData(-1f, 0)]
    [InlineData(-5f, 0)]
    [InlineData(float.NegativeInfinity, 0)]
    [InlineData(float.NaN, 0)]
    [InlineData(0f, 128)]
    [InlineData(0.5f, 191)]
    [InlineData(-0.5f, 64)]
    [InlineData(1f, 255)]
    [InlineData(7f, 255)]
    [InlineData(float.PositiveInfinity, 255)]
    public void IndexOf_Values_AreScaledClampedAndRounded(float value, int expected)
    {
        // Arrange / Act
        int index = Viridis.IndexOf(value);

        // Assert
        Assert.Equal(expected, index);
    }

    [Fact]
    public void IndexOf_Sweep_MatchesFormula()
    {
        // Arrange
        var random = new Random(42);

        for (int i = 0; i < 10_000; i++)
        {
            float v = (float)(random.NextDouble() * 2.2 - 1.1);

            // Act
            int index = Viridis.IndexOf(v);

            // Assert: float and double may round differently only right at a half step.
            double scaled = (Math.Clamp(v, -1.0, 1.0) + 1.0) * 127.5;
            int expected = (int)Math.Floor(scaled + 0.5);
            bool nearHalf = Math.Abs(scaled - Math.Floor(scaled) - 0.5) < 1e-3;
            Assert.True(index == expected || nearHalf, $"v={v}: {index} vs {expected}");
        }
    }

    [Fact]
    public void Table_Luminance_RisesMonotonically()
    {
        // Arrange
        double previous = double.NegativeInfinity;

        for (int i = 0; i < Viridis.Size; i++)
        {
            // Act
            Rgb24 c = Viridis.At(i);
            double luminance = 0.2126 * c.R + 0.7152 * c.G + 0.0722 * c.B;

            // Assert: viridis is perceptually ordered, so its luminance never falls.
            Assert.True(luminance >= previous - 0.5, $"entry {i}");
            previous = luminance;
        }
    }

    [Fact]
    public void MapSpan_Row_EqualsPerValueMap()
    {
        // Arrange
        float[] values = [-1f, -0.25f, 0f, 0.3f, 1f, float.NaN];
        var colours = new Rgb24[values.Length];

        // Act
        Viridis.Map(values, colours);

        // Assert
        for (int i = 0; i < values.Length; i++) Assert.Equal(Viridis.Map(values[i]), colours[i]);
    }

    [Fact]
    public void MapSpan_ShortDestination_ThrowsNamingDestination()
    {
        // Arrange
        float[] values = [0f, 1f];
        var colours = new Rgb24[1];

        // Act
        var ex = Assert.Throws<ArgumentException>(() => Viridis.Map(values, colours));

        // Assert
        Assert.Equal("destination", ex.ParamName);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(256)]
    public void At_OutOfRange_Throws(int index)
    {
        // Arrange / Act / Assert
        Assert.Throws<ArgumentOutOfRangeException>(() => Viridis.At(index));
    }
}
