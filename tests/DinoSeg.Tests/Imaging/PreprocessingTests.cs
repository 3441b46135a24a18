using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Tests.Imaging;

public sealed class PreprocessingTests
{
    private static readonly Preprocessing.ChannelMaps Maps = new(0.5f, -3f, 1f / 255f, 0.25f, -2f, 7f);

    [Fact]
    public void WriteRow_EveryWidth0To80_MatchesTheScalarMapExactly()
    {
        var random = new Random(42);
        for (int width = 0; width <= 80; width++)
        {
            byte[] rgb = new byte[3 * width];
            random.NextBytes(rgb);
            float[] red = new float[width], green = new float[width], blue = new float[width];

            Preprocessing.WriteRow(rgb, Maps, red, green, blue);

            for (int x = 0; x < width; x++)
            {
                Assert.Equal(rgb[3 * x] * Maps.ScaleR + Maps.OffsetR, red[x]);
                Assert.Equal(rgb[3 * x + 1] * Maps.ScaleG + Maps.OffsetG, green[x]);
                Assert.Equal(rgb[3 * x + 2] * Maps.ScaleB + Maps.OffsetB, blue[x]);
            }
        }
    }

    [Fact]
    public void WriteRow_AllByteValues_MapExactly()
    {
        // 256 pixels whose R, G, B run through every byte value in different orders.
        byte[] rgb = new byte[3 * 256];
        for (int x = 0; x < 256; x++) (rgb[3 * x], rgb[3 * x + 1], rgb[3 * x + 2]) = ((byte)x, (byte)(255 - x), (byte)(x * 7));
        float[] red = new float[256], green = new float[256], blue = new float[256];

        Preprocessing.WriteRow(rgb, Maps, red, green, blue);

        for (int x = 0; x < 256; x++)
        {
            Assert.Equal(x * Maps.ScaleR + Maps.OffsetR, red[x]);
            Assert.Equal((255 - x) * Maps.ScaleG + Maps.OffsetG, green[x]);
            Assert.Equal((byte)(x * 7) * Maps.ScaleB + Maps.OffsetB, blue[x]);
        }
    }

    [Fact]
    public void WriteRow_PlanesOfAnotherWidth_Throws()
    {
        Assert.Throws<ArgumentException>(() => Preprocessing.WriteRow(new byte[30], Maps, new float[10], new float[9], new float[10]));
        Assert.Throws<ArgumentException>(() => Preprocessing.WriteRow(new byte[29], Maps, new float[10], new float[10], new float[10]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WriteNchw_RgbAndBgrBackbones_WriteEachPlaneFromItsChannel(bool bgr)
    {
        Backbone backbone = bgr ? Backbone.ResNet18 : Backbone.Dinov3;
        const int Width = 37, Height = 5;
        using var image = new Image<Rgb24>(Width, Height);
        var random = new Random(7);
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < Height; y++)
            {
                foreach (ref Rgb24 p in rows.GetRowSpan(y)) p = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
            }
        });
        float[] planes = new float[3 * Width * Height];

        Preprocessing.WriteNchw(image, Width, Height, backbone, planes);

        int[] order = bgr ? [2, 1, 0] : [0, 1, 2];
        for (int k = 0; k < 3; k++)
        {
            int c = order[k];
            float scale = backbone.PixelScale / backbone.Std[c], offset = -backbone.Mean[c] / backbone.Std[c];
            for (int y = 0; y < Height; y++)
            {
                for (int x = 0; x < Width; x++)
                {
                    Rgb24 p = image[x, y];
                    byte value = c switch { 0 => p.R, 1 => p.G, _ => p.B };
                    Assert.Equal(value * scale + offset, planes[k * Width * Height + y * Width + x]);
                }
            }
        }
    }
}
