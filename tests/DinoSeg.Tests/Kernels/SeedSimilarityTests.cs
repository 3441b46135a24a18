using DinoSeg.Kernels;

namespace DinoSeg.Tests.Kernels;

public sealed class SeedSimilarityTests
{
    private const double Tolerance = 1e-5;

    public static TheoryData<int> PatchCounts => new() { 0, 1, 3, 17, 64 };

    [Theory]
    [MemberData(nameof(PatchCounts))]
    public void Compute_EveryDimensionUpTo256_MatchesScalarCosine(int patches)
    {
        // Arrange
        var random = new Random(KernelTestData.Seed);
        for (int dim = 1; dim <= KernelTestData.MaxSweepLength; dim++)
        {
            float[] vectors = KernelTestData.UnitVectors(random, patches, dim);
            float[] seed = KernelTestData.UnitVector(random, dim);
            float[] destination = KernelTestData.Poisoned(patches);

            // Act
            SeedSimilarity.Compute(vectors, seed, destination);

            // Assert
            var expected = new double[patches];
            for (int p = 0; p < patches; p++) expected[p] = ScalarReference.Cosine(vectors.AsSpan(p * dim, dim), seed);
            KernelTestData.AssertClose(expected, destination, Tolerance, $"dim {dim}, patches {patches}");
        }
    }

    [Theory]
    [MemberData(nameof(PatchCounts))]
    public void MaxInto_EveryDimensionUpTo256_MatchesScalarMaxOfCosine(int patches)
    {
        // Arrange
        var random = new Random(KernelTestData.Seed);
        for (int dim = 1; dim <= KernelTestData.MaxSweepLength; dim++)
        {
            float[] vectors = KernelTestData.UnitVectors(random, patches, dim);
            float[] seed = KernelTestData.UnitVector(random, dim);
            float[] destination = KernelTestData.Uniform(random, patches); // some above, some below the cosine
            if (patches > 0) destination[0] = float.NegativeInfinity;      // the segmenter's starting value
            float[] before = (float[])destination.Clone();

            // Act
            SeedSimilarity.MaxInto(vectors, seed, destination);

            // Assert
            var expected = new double[patches];
            for (int p = 0; p < patches; p++) expected[p] = Math.Max(before[p], ScalarReference.Cosine(vectors.AsSpan(p * dim, dim), seed));
            KernelTestData.AssertClose(expected, destination, Tolerance, $"dim {dim}, patches {patches}");
        }
    }

    [Fact]
    public void MaxInto_SeveralSeeds_EqualsMaxOverSeedsOfCompute()
    {
        // Arrange
        var random = new Random(KernelTestData.Seed);
        const int Dim = 96, Patches = 50;
        float[] vectors = KernelTestData.UnitVectors(random, Patches, Dim);
        float[][] seeds = [KernelTestData.UnitVector(random, Dim), KernelTestData.UnitVector(random, Dim), KernelTestData.UnitVector(random, Dim)];
        var folded = new float[Patches];
        Array.Fill(folded, float.NegativeInfinity);

        // Act
        foreach (float[] seed in seeds) SeedSimilarity.MaxInto(vectors, seed, folded);

        // Assert
        var single = new float[Patches];
        var expected = new float[Patches];
        Array.Fill(expected, float.NegativeInfinity);
        foreach (float[] seed in seeds)
        {
            SeedSimilarity.Compute(vectors, seed, single);
            for (int p = 0; p < Patches; p++) expected[p] = Math.Max(expected[p], single[p]);
        }

        Assert.Equal(expected, folded);
    }

    [Fact]
    public void Compute_SeedIsOneOfTheVectors_GivesOneForThatPatch()
    {
        // Arrange
        var random = new Random(KernelTestData.Seed);
        const int Dim = 384, Patches = 9;
        float[] vectors = KernelTestData.UnitVectors(random, Patches, Dim);
        float[] seed = vectors.AsSpan(4 * Dim, Dim).ToArray();
        var destination = new float[Patches];

        // Act
        SeedSimilarity.Compute(vectors, seed, destination);

        // Assert
        Assert.Equal(1f, destination[4], 1e-5f);
        Assert.All(destination, s => Assert.InRange(s, -1.00001f, 1.00001f));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    public void Compute_EmptySeed_ThrowsArgumentExceptionNamingSeed(int patches)
    {
        // Arrange
        var vectors = new float[patches];
        var destination = new float[patches];

        // Act
        var ex = Assert.Throws<ArgumentException>(() => SeedSimilarity.Compute(vectors, [], destination));

        // Assert
        Assert.Equal("seed", ex.ParamName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void MaxInto_EmptySeed_ThrowsArgumentExceptionNamingSeed(int patches)
    {
        // Arrange
        var vectors = new float[patches];
        var destination = new float[patches];

        // Act
        var ex = Assert.Throws<ArgumentException>(() => SeedSimilarity.MaxInto(vectors, [], destination));

        // Assert
        Assert.Equal("seed", ex.ParamName);
    }

    [Theory]
    [InlineData(4, 3, 11)]  // vectors one short
    [InlineData(4, 3, 13)]  // vectors one long
    [InlineData(4, 0, 4)]   // destination empty, vectors not
    [InlineData(4, 5, 12)]  // destination one too long
    [InlineData(4, 2, 12)]  // destination one too short
    public void Compute_LengthsDisagree_ThrowsArgumentExceptionNamingDestination(int dim, int patches, int vectorValues)
    {
        // Arrange
        var vectors = new float[vectorValues];
        var seed = new float[dim];
        var destination = new float[patches];

        // Act
        var ex = Assert.Throws<ArgumentException>(() => SeedSimilarity.Compute(vectors, seed, destination));

        // Assert
        Assert.Equal("destination", ex.ParamName);
    }

    [Theory]
    [InlineData(4, 3, 11)]
    [InlineData(4, 2, 12)]
    public void MaxInto_LengthsDisagree_ThrowsArgumentExceptionNamingDestination(int dim, int patches, int vectorValues)
    {
        // Arrange
        var vectors = new float[vectorValues];
        var seed = new float[dim];
        var destination = new float[patches];

        // Act
        var ex = Assert.Throws<ArgumentException>(() => SeedSimilarity.MaxInto(vectors, seed, destination));

        // Assert
        Assert.Equal("destination", ex.ParamName);
    }
}
