using DinoSeg.Kernels;

namespace DinoSeg.Tests.Kernels;

public sealed class ExclusionGateTests
{
    [Theory]
    [MemberData(nameof(KernelTestData.Widths), MemberType = typeof(KernelTestData))]
    public void Apply_EveryLength_MatchesScalarExactly(int simd)
    {
        var random = new Random(KernelTestData.Seed);
        float[] specials = [0f, -0f, float.Epsilon, -float.Epsilon, float.NaN, float.PositiveInfinity, float.NegativeInfinity];
        foreach (int length in Enumerable.Range(0, KernelTestData.MaxSweepLength + 1).Concat([511, 1000, 4097]))
        {
            // Arrange: margins around zero, with a sixth replaced by zero, its neighbours and special values.
            float[] map = KernelTestData.Uniform(random, length), margin = KernelTestData.Uniform(random, length);
            for (int i = 0; i < length; i++)
            {
                if (random.Next(6) == 0) margin[i] = specials[random.Next(specials.Length)];
            }

            float[] expected = new float[length];
            for (int i = 0; i < length; i++) expected[i] = margin[i] > 0 ? map[i] : -2f;

            // Act
            ExclusionGate.Apply(map, margin, -2f, (SimdWidth)simd);

            // Assert
            int mismatch = expected.AsSpan().CommonPrefixLength(map);
            Assert.True(mismatch == length, $"length {length}: map[{mismatch}] differs (margin {(mismatch < length ? margin[mismatch] : 0f)}).");
        }
    }

    [Fact]
    public void Apply_LengthsDiffer_ThrowsNamingMargin()
    {
        var e = Assert.Throws<ArgumentException>(() => ExclusionGate.Apply(new float[4], new float[3], -2f));

        Assert.Equal("margin", e.ParamName);
    }
}
