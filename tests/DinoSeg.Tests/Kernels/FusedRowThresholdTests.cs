using DinoSeg.Kernels;

namespace DinoSeg.Tests.Kernels;

/// <summary>
/// The per-click vertical pass with the threshold fused in must equal the plain vertical pass followed by
/// <see cref="Threshold.Apply"/>: same map (to float rounding), same mask bytes, same count, and the same block bounds as
/// <see cref="Threshold.Bounds(ReadOnlySpan{float}, Span{float})"/> of the written row (scalar), for every width 0..256
/// and every SIMD width.
/// </summary>
public sealed class FusedRowThresholdTests
{
    public static TheoryData<double, int> Sigmas => KernelTestData.AtEveryWidth(0.0, 1.0, 4.0, 16.0);

    [Theory]
    [MemberData(nameof(Sigmas))]
    public void ApplyAcrossRowsAndThreshold_EveryWidth_MatchesSeparatePasses(double sigma, int simd)
    {
        var random = new Random(KernelTestData.Seed);
        AxisWeights weights = AxisWeights.BilinearThenGaussian(5, 23, sigma);
        for (int width = 0; width <= 256; width++)
        {
            int stride = width + 3; // padded rows, as the segmenter lays them out
            float[] source = KernelTestData.Uniform(random, 5 * stride);
            float[] expectedMap = new float[23 * width];
            SeparableFilter.ApplyAcrossRows(source, stride, width, weights, 0, 23, expectedMap);
            float threshold = width == 0 ? 0f : expectedMap[random.Next(expectedMap.Length)]; // an exact value hits the ≥ edge
            byte[] expectedMask = new byte[expectedMap.Length];
            int expectedCount = Threshold.Apply(expectedMap, threshold, expectedMask);

            float[] map = KernelTestData.Poisoned(23 * width);
            byte[] mask = new byte[map.Length];
            int boundsLength = Threshold.BoundsLength(width);
            float[] bounds = KernelTestData.Poisoned(23 * boundsLength);
            int count = 0;
            for (int row = 0; row < 23; row++)
            {
                count += SeparableFilter.ApplyAcrossRowsAndThreshold(source, stride, width, weights, row, threshold, map, mask,
                    bounds.AsSpan(row * boundsLength, boundsLength), (SimdWidth)simd);
            }

            // The bounds taken from the registers equal the bounds of the row as written.
            var expectedBounds = new float[boundsLength];
            for (int row = 0; row < 23; row++)
            {
                Threshold.Bounds(map.AsSpan(row * width, width), expectedBounds.AsSpan(0, boundsLength / 2), expectedBounds.AsSpan(boundsLength / 2), SimdWidth.Scalar);
                Assert.True(expectedBounds.AsSpan().SequenceEqual(bounds.AsSpan(row * boundsLength, boundsLength)), $"width {width}, row {row}: bounds differ.");
            }

            KernelTestData.AssertMaxAbsDiff(KernelTestData.ToDouble(expectedMap), map, 1e-6, $"width {width}, σ {sigma}");
            for (int i = 0; i < map.Length; i++)
            {
                // Where rounding differs right at the threshold, the mask must follow the fused map itself.
                Assert.Equal(map[i] >= threshold ? 255 : 0, mask[i]);
                if (Math.Abs(map[i] - threshold) > 1e-6f) Assert.Equal(expectedMask[i], mask[i]);
            }

            Assert.Equal(mask.Count(b => b == 255), count);
            Assert.InRange(count, expectedCount - 2, expectedCount + 2);
        }
    }

    [Fact]
    public void ApplyAcrossRowsAndThreshold_SourceTooShort_Throws()
    {
        AxisWeights weights = AxisWeights.BilinearThenGaussian(5, 23, 1);

        Assert.Throws<ArgumentException>(() => SeparableFilter.ApplyAcrossRowsAndThreshold(new float[10], 8, 8, weights, 22, 0f, new float[23 * 8], new byte[23 * 8]));
    }
}
