using DinoSeg.Tests.Segmentation;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Tests.Rendering;

/// <summary>
/// A fixed, model-free scene for the renderer tests: a 4x6 patch grid (patch 16, working 96x64) over a 192x128 image,
/// 8-dim features whose left three columns differ from the right three, and a smooth synthetic photo.
/// </summary>
internal static class SyntheticScene
{
    public const int Rows = 4, Cols = 6, Dim = 8, PatchSize = 16;
    public const int Width = 192, Height = 128;
    public const float Threshold = 0.5f;

    /// <summary>In the left half: patch row 2, column 1, which covers x 32..64, y 64..96 of the image.</summary>
    public static readonly PixelPoint Seed = new(40, 70);

    public static PatchFeatures Features(int imageWidth = Width, int imageHeight = Height)
    {
        var vectors = new float[Rows * Cols * Dim];
        for (int r = 0; r < Rows; r++)
        {
            for (int c = 0; c < Cols; c++)
            {
                Span<float> v = vectors.AsSpan((r * Cols + c) * Dim, Dim);
                if (c < Cols / 2)
                {
                    v[0] = 1f;
                    v[2] = 0.1f * r;
                    v[3] = 0.1f * c;
                }
                else
                {
                    v[0] = -0.3f;
                    v[1] = 1f;
                    v[4] = 0.1f * r;
                    v[5] = 0.1f * c;
                }
            }
        }

        return PatchFeatures.FromVectors(vectors, Rows, Cols, Dim, PatchSize, Cols * PatchSize, Rows * PatchSize,
            imageWidth, imageHeight, "synthetic");
    }

    public static SegmentationResult Result(SegmentationOptions? options = null, float threshold = Threshold,
        int imageWidth = Width, int imageHeight = Height)
    {
        var segmenter = new SimilaritySegmenter(options ?? TestOptions.Plain);
        PixelPoint seed = new(Seed.X * imageWidth / Width, Seed.Y * imageHeight / Height);
        return segmenter.Segment(Features(imageWidth, imageHeight), seed, threshold);
    }

    /// <summary>In the right half: patch row 1, column 4, which covers x 128..160, y 32..64 of the image.</summary>
    public static readonly PixelPoint Negative = new(150, 40);

    /// <summary>A box over the lower left of the image.</summary>
    public static readonly PixelRect Box = new(8, 56, 88, 120);

    /// <summary>The scene segmented from <see cref="Seed"/>, <see cref="Negative"/> and <see cref="Box"/>.</summary>
    public static SegmentationResult PromptResult(float threshold = Threshold) =>
        new SimilaritySegmenter(TestOptions.Plain).Segment(Features(), new SegmentationPrompt(Box, [Seed], [Negative]), threshold);

    public static bool IsCyan(Rgb24 p) => p.R <= 5 && p.G >= 250 && p.B >= 250;

    public static bool IsGold(Rgb24 p) => p.R >= 250 && p.G is >= 210 and <= 220 && p.B <= 5;

    /// <summary>Smooth colour ramps with a darker disc, so every pixel differs from its neighbours and from the tint.</summary>
    public static Image<Rgb24> Photo(int width = Width, int height = Height)
    {
        var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
        {
            Span<Rgb24> row = image.DangerousGetPixelRowMemory(y).Span;
            for (int x = 0; x < width; x++)
            {
                double dx = x - width * 0.7, dy = y - height * 0.4;
                bool disc = dx * dx + dy * dy < height * height / 16.0;
                int shade = disc ? 60 : 0;
                row[x] = new Rgb24((byte)(40 + 180 * x / width - shade), (byte)(30 + 200 * y / height - shade), (byte)(150 - shade));
            }
        }

        return image;
    }

    public static bool IsRed(Rgb24 p) => p.R >= 250 && p.G <= 5 && p.B <= 5;

    /// <summary>The ring radius the renderers use on an image of this size.</summary>
    public static double SeedRadius(int width, int height) => Math.Max(4.0, Math.Min(width, height) / 40.0);
}
