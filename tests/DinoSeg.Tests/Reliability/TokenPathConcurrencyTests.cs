using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Tests.Reliability;

/// <summary>
/// The [1, T, D] (ViT token) output path under 8 concurrent callers, through <see cref="DinoSegmenter"/>: bit for bit the
/// sequential results. (The feature-map path is hammered in Segmentation/ConcurrencyTests.)
/// </summary>
public sealed class TokenPathConcurrencyTests
{
    private const int Threads = 8;

    [Fact]
    public void DinoSegmenterExtractAndSegment_From8Threads_MatchesSequentialBitForBit()
    {
        // Arrange: a different image size per thread, so concurrent runs also differ in shape.
        using var dino = DinoSegmenter.Create(TestPaths.Fixture("tiny-dinov3.onnx"), Backbone.Dinov3,
            new ExtractorOptions { Device = ExecutionDevice.Cpu, LongSide = 96 });
        Image<Rgb24>[] images = [.. Enumerable.Range(0, Threads).Select(t => Onnx.TinyDinov3Tests.PatternImage(64 + 16 * t, 48 + 8 * t))];
        try
        {
            var expected = images.Select(i => Run(dino, i)).ToArray();

            // Act
            var actual = new (float[] Features, byte[] Mask)[Threads][];
            System.Threading.Tasks.Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads },
                t => actual[t] = [.. Enumerable.Range(0, 4).Select(k => Run(dino, images[(t + k) % Threads]))]);

            // Assert
            for (int t = 0; t < Threads; t++)
            {
                for (int k = 0; k < 4; k++)
                {
                    Assert.Equal(expected[(t + k) % Threads].Features, actual[t][k].Features);
                    Assert.Equal(expected[(t + k) % Threads].Mask, actual[t][k].Mask);
                }
            }
        }
        finally
        {
            foreach (var image in images) image.Dispose();
        }
    }

    private static (float[] Features, byte[] Mask) Run(DinoSegmenter dino, Image<Rgb24> image)
    {
        PatchFeatures features = dino.Extract(image);
        SegmentationResult result = dino.Segment(features, new PixelPoint(image.Width / 3, image.Height / 2), 0.2f);
        return (features.Vectors.ToArray(), result.Mask.ToArray());
    }
}
