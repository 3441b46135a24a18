using DinoSeg.Kernels;

namespace DinoSeg.Tests.Kernels;

/// <summary>The full-resolution feather blur against scipy's <c>gaussian_filter(mode="reflect", truncate=4)</c> written out by hand.</summary>
public sealed class GaussianBlurTests
{
    private const double MaxAbsDiff = 1e-5;

    private static readonly (int Rows, int Cols)[] Shapes =
        [(1, 1), (1, 50), (50, 1), (2, 2), (3, 64), (64, 3), (9, 7), (17, 23), (31, 29), (40, 40), (5, 130)];

    public static TheoryData<double> SigmaData => new(SeparableFilterTests.Sigmas);

    // Blurs with the kernel setup the segmenter uses: Gaussian column weights, float kernel, ScratchLength scratch.
    private static float[] Blur(float[] source, int rows, int cols, double sigma, bool inPlace)
    {
        AxisWeights columnWeights = AxisWeights.Gaussian(rows, sigma);
        float[] kernel = Array.ConvertAll(AxisWeights.GaussianKernel(sigma), w => (float)w);
        float[] scratch = KernelTestData.Poisoned(GaussianBlur.ScratchLength(rows, cols, sigma));
        if (inPlace)
        {
            float[] map = (float[])source.Clone();
            GaussianBlur.Apply(map, columnWeights, kernel, cols, scratch, map);
            return map;
        }

        float[] destination = KernelTestData.Poisoned(rows * cols);
        GaussianBlur.Apply(source, columnWeights, kernel, cols, scratch, destination);
        return destination;
    }

    [Theory]
    [MemberData(nameof(SigmaData))]
    public void Apply_ManyShapes_MatchesScalarFullResolutionBlur(double sigma)
    {
        var random = new Random(KernelTestData.Seed);
        foreach (var (rows, cols) in Shapes)
        {
            // Arrange
            float[] source = KernelTestData.Uniform(random, rows * cols);
            double[] expected = ScalarReference.GaussianBlur(source, rows, cols, sigma);

            // Act
            float[] blurred = Blur(source, rows, cols, sigma, inPlace: false);

            // Assert
            KernelTestData.AssertMaxAbsDiff(expected, blurred, MaxAbsDiff, $"{rows}x{cols}, sigma {KernelTestData.Invariant(sigma)}");
        }
    }

    [Theory]
    [MemberData(nameof(SigmaData))]
    public void Apply_InPlace_MatchesScalarFullResolutionBlur(double sigma)
    {
        // The segmenter feathers its soft mask in place (source and destination are the same buffer).
        var random = new Random(KernelTestData.Seed);
        foreach (var (rows, cols) in Shapes)
        {
            // Arrange: a binary mask, as the segmenter blurs
            float[] source = Array.ConvertAll(KernelTestData.Uniform(random, rows * cols), v => v >= 0 ? 1f : 0f);
            double[] expected = ScalarReference.GaussianBlur(source, rows, cols, sigma);

            // Act
            float[] blurred = Blur(source, rows, cols, sigma, inPlace: true);

            // Assert
            KernelTestData.AssertMaxAbsDiff(expected, blurred, MaxAbsDiff, $"{rows}x{cols} in place, sigma {KernelTestData.Invariant(sigma)}");
        }
    }

    [Theory]
    [MemberData(nameof(SigmaData))]
    public void Apply_OneRowEveryLengthUpTo256_MatchesScalarBlur(double sigma)
    {
        var random = new Random(KernelTestData.Seed);
        for (int cols = 1; cols <= KernelTestData.MaxSweepLength; cols++)
        {
            // Arrange
            float[] source = KernelTestData.Uniform(random, cols);
            double[] expected = ScalarReference.GaussianBlur(source, 1, cols, sigma);

            // Act
            float[] blurred = Blur(source, 1, cols, sigma, inPlace: false);

            // Assert
            KernelTestData.AssertMaxAbsDiff(expected, blurred, MaxAbsDiff, $"1x{cols}, sigma {KernelTestData.Invariant(sigma)}");
        }
    }

    [Theory]
    [MemberData(nameof(SigmaData))]
    public void Apply_TwoColumnsEveryRowCountUpTo256_MatchesScalarBlur(double sigma)
    {
        var random = new Random(KernelTestData.Seed);
        for (int rows = 1; rows <= KernelTestData.MaxSweepLength; rows++)
        {
            // Arrange
            float[] source = KernelTestData.Uniform(random, rows * 2);
            double[] expected = ScalarReference.GaussianBlur(source, rows, 2, sigma);

            // Act
            float[] blurred = Blur(source, rows, 2, sigma, inPlace: false);

            // Assert
            KernelTestData.AssertMaxAbsDiff(expected, blurred, MaxAbsDiff, $"{rows}x2, sigma {KernelTestData.Invariant(sigma)}");
        }
    }

    [Fact]
    public void Apply_MaxSigmaOnSmallMap_MatchesScalarBlur()
    {
        // Arrange
        float[] source = KernelTestData.Uniform(new Random(KernelTestData.Seed), 6 * 13);
        double[] expected = ScalarReference.GaussianBlur(source, 6, 13, AxisWeights.MaxSigma);

        // Act
        float[] blurred = Blur(source, 6, 13, AxisWeights.MaxSigma, inPlace: false);

        // Assert
        KernelTestData.AssertMaxAbsDiff(expected, blurred, MaxAbsDiff, "6x13, sigma 1024");
    }

    [Theory]
    [InlineData(0.0, 9)]   // 2x3 map + one 3-wide row, radius 0
    [InlineData(1.0, 17)]  // radius int(4 + 0.5) = 4 on each side
    [InlineData(2.5, 29)]  // radius 10
    public void ScratchLength_Sigma_IsMapPlusOnePaddedRow(double sigma, int expected)
    {
        // Act
        int length = GaussianBlur.ScratchLength(2, 3, sigma);

        // Assert
        Assert.Equal(expected, length);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(-1.0)]
    [InlineData(1e10)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(AxisWeights.MaxSigma + 1)]
    public void ScratchLength_SigmaNaNNegativeOrHuge_ThrowsArgumentOutOfRange(double sigma)
    {
        // Act
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => GaussianBlur.ScratchLength(4, 4, sigma));

        // Assert
        Assert.Equal("sigma", ex.ParamName);
    }
}
