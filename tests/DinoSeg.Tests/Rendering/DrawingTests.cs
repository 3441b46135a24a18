using DinoSeg.Rendering;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Tests.Rendering;

public class DrawingTests
{
    [Fact]
    public void AreaResampler_Halving_AveragesTwoByTwoBlocks()
    {
        // Arrange
        var random = new Random(42);
        float[] source = Enumerable.Range(0, 8 * 6).Select(_ => (float)random.NextDouble()).ToArray();
        var destination = new float[4 * 3];

        // Act
        AreaResampler.Resample<float>(source, 8, 6, destination, 4, 3);

        // Assert
        for (int y = 0; y < 3; y++)
        {
            for (int x = 0; x < 4; x++)
            {
                float expected = (source[2 * y * 8 + 2 * x] + source[2 * y * 8 + 2 * x + 1] + source[(2 * y + 1) * 8 + 2 * x] + source[(2 * y + 1) * 8 + 2 * x + 1]) / 4;
                Assert.Equal(expected, destination[y * 4 + x], 1e-5f);
            }
        }
    }

    [Theory]
    [InlineData(7, 5, 7, 5)]
    [InlineData(100, 37, 33, 12)]
    [InlineData(5, 5, 12, 9)]
    public void AreaResampler_ConstantMap_StaysConstant(int sw, int sh, int dw, int dh)
    {
        // Arrange
        byte[] source = Enumerable.Repeat((byte)255, sw * sh).ToArray();
        var destination = new float[dw * dh];

        // Act
        AreaResampler.Resample<byte>(source, sw, sh, destination, dw, dh, 1f / 255);

        // Assert
        Assert.All(destination, v => Assert.Equal(1f, v, 1e-5f));
    }

    [Fact]
    public void AreaResampler_SameSize_CopiesExactly()
    {
        // Arrange
        var random = new Random(42);
        float[] source = Enumerable.Range(0, 13 * 7).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var destination = new float[source.Length];

        // Act
        AreaResampler.Resample<float>(source, 13, 7, destination, 13, 7);

        // Assert
        Assert.Equal(source, destination);
    }

    [Fact]
    public void BitmapFont_LabelsAndTitles_UseOnlyDefinedGlyphs()
    {
        // Arrange
        string text = "0123456789-.= t OriginalSimilarityMaskOverlayCut-out";

        // Act / Assert
        foreach (char c in text) Assert.True(BitmapFont.Supports(c), $"'{c}'");
        Assert.False(BitmapFont.Supports('Q'));
    }

    [Fact]
    public void BitmapFont_Measure_ScalesWithScale()
    {
        // Arrange / Act
        int one = BitmapFont.Measure("-0.5", 1), three = BitmapFont.Measure("-0.5", 3);

        // Assert: '-' 4 + '0' 5 + '.' 2 + '5' 5 wide, one column between glyphs.
        Assert.Equal(4 + 1 + 5 + 1 + 2 + 1 + 5, one);
        Assert.Equal(3 * one, three);
        Assert.Equal(0, BitmapFont.Measure("", 2));
    }

    [Fact]
    public void BitmapFont_Draw_InksInsideItsBoxOnly()
    {
        // Arrange
        using var image = new Image<Rgb24>(40, 20, new Rgb24(255, 255, 255));
        var canvas = new Canvas(image);
        int width = BitmapFont.Measure("t=0.5", 2);

        // Act
        canvas.Text("t=0.5", 3, 1, 2, new Rgb24(0, 0, 0));

        // Assert
        int inked = 0;
        for (int y = 0; y < 20; y++)
        {
            for (int x = 0; x < 40; x++)
            {
                if (image[x, y].R != 0) continue;
                inked++;
                Assert.InRange(x, 3, 3 + width - 1);
                Assert.InRange(y, 1, 1 + 2 * BitmapFont.CapHeight - 1);
            }
        }

        Assert.True(inked > 40);
    }

    [Fact]
    public void Canvas_ShapesOutsideTheImage_AreClipped()
    {
        // Arrange
        using var image = new Image<Rgb24>(10, 10);
        var canvas = new Canvas(image);
        var red = new Rgb24(255, 0, 0);

        // Act
        canvas.FillRect(-5, -5, 3, 3, red);
        canvas.StrokeRect(5, 5, 50, 50, 2, red);
        canvas.Ring(0, 0, 30, 4, red);
        canvas.Ring(5, 5, 3, 2, red);
        canvas.Disc(-100, -100, 5, red);
        canvas.Text("-1", 8, 8, 3, red);

        // Assert
        Assert.Equal(red, image[0, 0]);
        Assert.Equal(red, image[2, 2]);
        Assert.Equal(red, image[6, 9]);
        Assert.Equal(red, image[5, 2]);
        Assert.Equal(new Rgb24(0, 0, 0), image[4, 4]);
    }
}
