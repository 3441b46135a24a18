using DinoSeg.Kernels;

namespace DinoSeg.Tests.Kernels;

public sealed class ThresholdTests
{
    public static TheoryData<float, int> Thresholds => KernelTestData.AtEveryWidth(0f, 0.5f, -0.25f, -1f, 1f, 0.123456789f);

    public static IEnumerable<int> Lengths =>
        Enumerable.Range(0, KernelTestData.MaxSweepLength + 1).Concat([511, 512, 513, 1000, 4097]);

    // Random values in [-1, 1], with about one in six replaced by the threshold itself, its float neighbours or a special value.
    private static float[] MapWithEdges(Random random, int length, float threshold)
    {
        float[] map = KernelTestData.Uniform(random, length);
        float[] edges =
        [
            threshold, threshold, MathF.BitDecrement(threshold), MathF.BitIncrement(threshold),
            float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 0f, float.Epsilon, -float.Epsilon,
        ];
        for (int i = 0; i < length; i++)
        {
            if (random.Next(6) == 0) map[i] = edges[random.Next(edges.Length)];
        }

        return map;
    }

    [Theory]
    [MemberData(nameof(Thresholds))]
    public void Apply_EveryLength_MatchesScalarMaskAndCountExactly(float threshold, int simd)
    {
        var random = new Random(KernelTestData.Seed);
        foreach (int length in Lengths)
        {
            // Arrange
            float[] map = MapWithEdges(random, length, threshold);
            var mask = new byte[length];
            Array.Fill(mask, (byte)0x5A); // every byte must be overwritten
            var expectedMask = new byte[length];
            int expectedCount = ScalarReference.Threshold(map, threshold, expectedMask);

            // Act
            int count = Threshold.ApplyUnchecked(map, threshold, mask, (SimdWidth)simd);

            // Assert
            Assert.True(expectedCount == count, $"length {length}, threshold {threshold}: count {count}, expected {expectedCount}.");
            int mismatch = expectedMask.AsSpan().CommonPrefixLength(mask);
            Assert.True(mismatch == length,
                $"length {length}, threshold {threshold}: mask[{mismatch}] differs (map value {(mismatch < length ? map[mismatch] : 0f)}).");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(17)]
    public void Apply_UnalignedSlices_MatchesScalar(int offset)
    {
        // Arrange
        var random = new Random(KernelTestData.Seed);
        const float T = 0.1f;
        float[] backing = MapWithEdges(random, 300 + offset, T);
        ReadOnlySpan<float> map = backing.AsSpan(offset, 300);
        var maskBacking = new byte[300 + offset];
        Span<byte> mask = maskBacking.AsSpan(offset, 300);
        var expectedMask = new byte[300];
        int expectedCount = ScalarReference.Threshold(map, T, expectedMask);

        // Act
        int count = Threshold.Apply(map, T, mask);

        // Assert
        Assert.Equal(expectedCount, count);
        Assert.Equal(expectedMask, mask.ToArray());
        Assert.All(maskBacking.AsSpan(0, offset).ToArray(), b => Assert.Equal(0, b)); // nothing written before the slice
    }

    [Theory]
    [InlineData(64)]
    [InlineData(100)]
    [InlineData(4097)]
    public void Apply_ValuesEqualToThreshold_AreSelected(int length)
    {
        // Arrange
        var map = new float[length];
        Array.Fill(map, 0.37f);
        var mask = new byte[length];

        // Act
        int count = Threshold.Apply(map, 0.37f, mask);

        // Assert
        Assert.Equal(length, count);
        Assert.All(mask, b => Assert.Equal(255, b));
    }

    [Theory]
    [InlineData(64)]
    [InlineData(100)]
    public void Apply_NaNValues_AreNotSelected(int length)
    {
        // Arrange
        var map = new float[length];
        Array.Fill(map, float.NaN);
        var mask = new byte[length];
        Array.Fill(mask, (byte)1);

        // Act
        int count = Threshold.Apply(map, -1f, mask);

        // Assert
        Assert.Equal(0, count);
        Assert.All(mask, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Apply_NegativeZeroAgainstZeroThreshold_IsSelected()
    {
        // Arrange
        var map = new float[130];
        Array.Fill(map, -0f);
        var mask = new byte[130];

        // Act
        int count = Threshold.Apply(map, 0f, mask);

        // Assert
        Assert.Equal(130, count);
    }

    [Theory]
    [InlineData(10, 9)]
    [InlineData(10, 11)]
    [InlineData(0, 1)]
    [InlineData(64, 0)]
    public void Apply_MaskLengthDiffers_ThrowsArgumentExceptionNamingMask(int mapLength, int maskLength)
    {
        // Arrange
        var map = new float[mapLength];
        var mask = new byte[maskLength];

        // Act
        var ex = Assert.Throws<ArgumentException>(() => Threshold.Apply(map, 0f, mask));

        // Assert
        Assert.Equal("mask", ex.ParamName);
    }
}
