namespace DinoSeg.Tests.Segmentation;

/// <summary>Shared features, one segmenter and one extractor hammered from 8 threads must give the sequential results bit for bit.</summary>
public sealed class ConcurrencyTests
{
    private const int Threads = 8;

    [Fact]
    public void Segment_SameFeaturesFrom8Threads_MatchesSequentialBitForBit()
    {
        // Big enough that each click is split over the worker threads, so concurrent clicks contend for them.
        var random = new Random(42);
        const int rows = 40, cols = 48, dim = 64;
        var raw = new float[rows * cols * dim];
        for (int i = 0; i < raw.Length; i++) raw[i] = (float)random.NextDouble() - 0.5f;
        PatchFeatures features = PatchFeatures.FromVectors(raw, rows, cols, dim, 16, cols * 16, rows * 16, 700, 600, "random");
        var segmenter = new SimilaritySegmenter(TestOptions.Unrefined);
        PixelPoint[] seeds = Enumerable.Range(0, 24).Select(i => new PixelPoint(i * 29 % 700, i * 23 % 600)).ToArray();
        var expected = seeds.Select(s => Snapshot(segmenter.Segment(features, new SegmentationPrompt(s), 0.1f))).ToArray();

        var actual = new (byte[] Mask, float[] Similarity, float[] Soft)[Threads][];
        System.Threading.Tasks.Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, t =>
        {
            var result = new SegmentationResult(features);
            actual[t] = new (byte[], float[], float[])[seeds.Length];
            for (int k = 0; k < seeds.Length; k++)
            {
                int i = (k + t * 5) % seeds.Length;
                segmenter.Segment(features, new SegmentationPrompt([seeds[i]]), 0.1f, result);
                actual[t][i] = Snapshot(result);
            }
        });

        for (int t = 0; t < Threads; t++)
        {
            for (int i = 0; i < seeds.Length; i++)
            {
                Assert.Equal(expected[i].Mask, actual[t][i].Mask);
                Assert.Equal(expected[i].Similarity, actual[t][i].Similarity);
                Assert.Equal(expected[i].Soft, actual[t][i].Soft);
            }
        }
    }

    [Fact]
    public void Extract_From8Threads_MatchesSequentialBitForBit()
    {
        using var extractor = OnnxFeatureExtractor.CreateDefault(new ExtractorOptions { LongSide = 160 });
        string[] names = ["chelsea.png", "coffee.png", "rocket.jpg", "astronaut.jpg"];
        var images = names.Select(n => ImageDecoder.Load(TestPaths.Image(n))).ToArray();
        try
        {
            float[][] expected = images.Select(i => extractor.Extract(i).Vectors.ToArray()).ToArray();

            var actual = new float[Threads][];
            System.Threading.Tasks.Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads },
                t => actual[t] = extractor.Extract(images[t % images.Length]).Vectors.ToArray());

            for (int t = 0; t < Threads; t++) Assert.Equal(expected[t % images.Length], actual[t]);
        }
        finally
        {
            foreach (var image in images) image.Dispose();
        }
    }

    private static (byte[] Mask, float[] Similarity, float[] Soft) Snapshot(SegmentationResult r) =>
        (r.Mask.ToArray(), r.Similarity.ToArray(), r.GetSoftMask().ToArray());
}
