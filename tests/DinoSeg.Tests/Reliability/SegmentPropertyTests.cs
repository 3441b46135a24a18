using DinoSeg.Tests.Segmentation;

namespace DinoSeg.Tests.Reliability;

/// <summary>
/// Property test of the whole per-click path: random grids, dimensions, image sizes, seeds, thresholds and σs, each checked
/// against <see cref="ScalarReference"/> (double-precision cosine → bilinear → blur → threshold → feather). The kernel tests
/// sweep lengths one kernel at a time; this checks they compose for sizes nobody picked by hand.
/// </summary>
public sealed class SegmentPropertyTests
{
    private const int Cases = 60;
    private const double Tolerance = 2e-4;

    public static TheoryData<int> CaseSeeds => [.. Enumerable.Range(0, Cases)];

    [Theory]
    [MemberData(nameof(CaseSeeds))]
    public void Segment_RandomCase_MatchesScalarReference(int caseSeed)
    {
        // Arrange
        var random = new Random(1000 + caseSeed);
        int rows = random.Next(1, 13), cols = random.Next(1, 13), dim = random.Next(1, 80), patch = random.Next(4, 17);
        int width = random.Next(1, 161), height = random.Next(1, 161);
        var raw = new float[rows * cols * dim];
        for (int i = 0; i < raw.Length; i++) raw[i] = (float)(random.NextDouble() * 2 - 1);
        PatchFeatures features = PatchFeatures.FromVectors(raw, rows, cols, dim, patch, cols * patch, rows * patch, width, height, "random");
        var options = TestOptions.Plain with
        {
            SimilaritySigma = Pick(random, 0, 0.3, 1, 2.5, 4),
            FeatherSigma = Pick(random, 0, 0.8, 2),
            SeedCombine = random.Next(2) == 0 ? SeedCombine.Max : SeedCombine.Mean,
        };
        PixelPoint[] seeds = [.. Enumerable.Range(0, random.Next(1, 4)).Select(_ => new PixelPoint(random.Next(width), random.Next(height)))];
        float threshold = (float)(random.NextDouble() * 1.6 - 0.8);

        // Act
        SegmentationResult result = new SimilaritySegmenter(options).Segment(features, new SegmentationPrompt(seeds), threshold);

        // Assert: patch similarity from the raw (unnormalised) vectors.
        var patchSimilarity = new float[rows * cols];
        for (int p = 0; p < patchSimilarity.Length; p++)
        {
            double[] perSeed = [.. seeds.Select(s =>
            {
                var (r, c) = features.PatchAt(s);
                return ScalarReference.Cosine(raw.AsSpan(p * dim, dim), raw.AsSpan((r * cols + c) * dim, dim));
            })];
            patchSimilarity[p] = (float)(options.SeedCombine == SeedCombine.Max ? perSeed.Max() : perSeed.Average());
        }

        AssertClose(Array.ConvertAll(patchSimilarity, v => (double)v), result.PatchSimilarity, "patch similarity");
        double[] similarity = ScalarReference.UpsampleThenBlur(patchSimilarity, rows, cols, height, width, options.SimilaritySigma);
        AssertClose(similarity, result.Similarity, "similarity");

        ReadOnlySpan<byte> mask = result.Mask;
        int selected = 0;
        for (int i = 0; i < mask.Length; i++)
        {
            Assert.True(mask[i] is 0 or 255);
            selected += mask[i] == 255 ? 1 : 0;
            // Values within float rounding of the threshold may fall either way.
            if (Math.Abs(similarity[i] - threshold) > Tolerance) Assert.Equal(similarity[i] >= threshold ? 255 : 0, mask[i]);
        }

        Assert.Equal(selected, result.SelectedPixels);
        var binary = new double[mask.Length];
        for (int i = 0; i < mask.Length; i++) binary[i] = mask[i] == 255 ? 1 : 0;
        AssertClose(ScalarReference.GaussianBlur(binary, height, width, options.FeatherSigma), result.GetSoftMask(), "soft mask");
    }

    private static double Pick(Random random, params double[] values) => values[random.Next(values.Length)];

    private static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (!(Math.Abs(expected[i] - actual[i]) <= Tolerance)) Assert.Fail($"{what}[{i}]: expected {expected[i]}, found {actual[i]}");
        }
    }
}
