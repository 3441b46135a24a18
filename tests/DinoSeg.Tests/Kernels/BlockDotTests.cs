using DinoSeg.Kernels;

namespace DinoSeg.Tests.Kernels;

/// <summary><see cref="BlockDot"/> against a scalar reference: every length 1–70, full and partial blocks (SimdOffTests reruns these without SIMD).</summary>
public sealed class BlockDotTests
{
    public static TheoryData<int> Dims => new(Enumerable.Range(1, 70).Concat([127, 128, 256, 1024]));

    [Theory]
    [MemberData(nameof(Dims))]
    public void Compute_EqualsScalarDots(int dim)
    {
        var random = new Random(42 + dim);
        const int count = 13;
        float[] vectors = Random(random, count * dim), queries = Random(random, BlockDot.Block * dim);
        foreach (int rows in new[] { BlockDot.Block, 3, 1 })
        {
            var destination = new float[rows * count + 5];
            destination[^1] = 99; // beyond rows × count: must stay

            BlockDot.Compute(vectors, queries.AsSpan(0, rows * dim), dim, destination);

            for (int q = 0; q < rows; q++)
            {
                for (int j = 0; j < count; j++)
                {
                    double expected = 0, magnitude = 0;
                    for (int d = 0; d < dim; d++)
                    {
                        expected += (double)queries[q * dim + d] * vectors[j * dim + d];
                        magnitude += Math.Abs((double)queries[q * dim + d] * vectors[j * dim + d]);
                    }

                    Assert.True(Math.Abs(destination[q * count + j] - expected) <= 1e-5 * magnitude + 1e-7,
                        $"dim {dim}, query {q}, vector {j}: {destination[q * count + j]} != {expected}");
                }
            }

            Assert.Equal(99, destination[^1]);
        }
    }

    [Fact]
    public void Compute_BadLengths_Throw()
    {
        var ok = new float[16];
        Assert.Throws<ArgumentException>(() => BlockDot.Compute(new float[15], ok, 4, new float[64]));
        Assert.Throws<ArgumentException>(() => BlockDot.Compute(ok, new float[36], 4, new float[64])); // 9 queries
        Assert.Throws<ArgumentException>(() => BlockDot.Compute(ok, ok, 4, new float[15]));
        Assert.Throws<ArgumentOutOfRangeException>(() => BlockDot.Compute(ok, ok, 0, new float[16]));
    }

    private static float[] Random(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }
}
