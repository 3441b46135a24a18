using DinoSeg.Kernels;

namespace DinoSeg.Tests.Kernels;

/// <summary>
/// The fused per-click resize: <see cref="AxisWeights.BilinearThenGaussian"/> on both axes applied by
/// <see cref="SeparableFilter.Apply"/> must equal bilinear upsampling followed by a full-resolution Gaussian blur.
/// </summary>
public sealed class SeparableFilterTests
{
    private const double MaxAbsDiff = 1e-5;

    /// <summary>The σ values every resize/blur sweep covers.</summary>
    internal static readonly double[] Sigmas = [0, 0.5, 1, 2.5, 4, 10];

    /// <summary>(input, output) lengths of one axis: 1-sample inputs, odd sizes, same size, shrinking, large factors.</summary>
    private static readonly (int In, int Out)[] AxisPairs =
        [(1, 1), (1, 7), (2, 2), (2, 97), (3, 48), (4, 64), (5, 37), (6, 13), (7, 3), (13, 5), (16, 16), (9, 1), (64, 5)];

    public static TheoryData<double> SigmaData => new(Sigmas);

    [Theory]
    [MemberData(nameof(SigmaData))]
    public void Apply_BilinearThenGaussianOnBothAxes_MatchesUpsampleThenFullResolutionBlur(double sigma)
    {
        var random = new Random(KernelTestData.Seed);
        foreach (var (inRows, outRows) in AxisPairs)
        {
            foreach (var (inCols, outCols) in AxisPairs)
            {
                // Arrange
                float[] source = KernelTestData.Uniform(random, inRows * inCols);
                double[] expected = ScalarReference.UpsampleThenBlur(source, inRows, inCols, outRows, outCols, sigma);
                AxisWeights rows = AxisWeights.BilinearThenGaussian(inRows, outRows, sigma);
                AxisWeights cols = AxisWeights.BilinearThenGaussian(inCols, outCols, sigma);
                float[] scratch = KernelTestData.Poisoned(SeparableFilter.ScratchLength(rows, cols));
                float[] destination = KernelTestData.Poisoned(outRows * outCols);

                // Act
                SeparableFilter.Apply(source, rows, cols, scratch, destination);

                // Assert
                KernelTestData.AssertMaxAbsDiff(expected, destination, MaxAbsDiff,
                    $"{inRows}x{inCols} -> {outRows}x{outCols}, sigma {KernelTestData.Invariant(sigma)}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(SigmaData))]
    public void Apply_OneRowEveryOutputLengthUpTo256_MatchesUpsampleThenBlur(double sigma)
    {
        var random = new Random(KernelTestData.Seed);
        foreach (int inCols in new[] { 1, 2, 3, 5, 16 })
        {
            for (int outCols = 1; outCols <= KernelTestData.MaxSweepLength; outCols++)
            {
                // Arrange
                float[] source = KernelTestData.Uniform(random, inCols);
                double[] expected = ScalarReference.UpsampleThenBlur(source, 1, inCols, 1, outCols, sigma);
                AxisWeights rows = AxisWeights.BilinearThenGaussian(1, 1, sigma);
                AxisWeights cols = AxisWeights.BilinearThenGaussian(inCols, outCols, sigma);
                float[] scratch = KernelTestData.Poisoned(SeparableFilter.ScratchLength(rows, cols));
                float[] destination = KernelTestData.Poisoned(outCols);

                // Act
                SeparableFilter.Apply(source, rows, cols, scratch, destination);

                // Assert
                KernelTestData.AssertMaxAbsDiff(expected, destination, MaxAbsDiff,
                    $"1x{inCols} -> 1x{outCols}, sigma {KernelTestData.Invariant(sigma)}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(SigmaData))]
    public void Apply_OneColumnEveryOutputLengthUpTo256_MatchesUpsampleThenBlur(double sigma)
    {
        var random = new Random(KernelTestData.Seed);
        foreach (int inRows in new[] { 1, 3, 7 })
        {
            for (int outRows = 1; outRows <= KernelTestData.MaxSweepLength; outRows++)
            {
                // Arrange
                float[] source = KernelTestData.Uniform(random, inRows * 2);
                double[] expected = ScalarReference.UpsampleThenBlur(source, inRows, 2, outRows, 3, sigma);
                AxisWeights rows = AxisWeights.BilinearThenGaussian(inRows, outRows, sigma);
                AxisWeights cols = AxisWeights.BilinearThenGaussian(2, 3, sigma);
                float[] scratch = KernelTestData.Poisoned(SeparableFilter.ScratchLength(rows, cols));
                float[] destination = KernelTestData.Poisoned(outRows * 3);

                // Act
                SeparableFilter.Apply(source, rows, cols, scratch, destination);

                // Assert
                KernelTestData.AssertMaxAbsDiff(expected, destination, MaxAbsDiff,
                    $"{inRows}x2 -> {outRows}x3, sigma {KernelTestData.Invariant(sigma)}");
            }
        }
    }

    [Fact]
    public void Apply_BlurAtFullResolution_DiffersFromBlurAtPatchResolution()
    {
        // Guards the tolerance above: blurring the 4x4 grid before upsampling (σ scaled by 4/64) is a different,
        // wrong answer that the comparison must reject.

        // Arrange
        var random = new Random(KernelTestData.Seed);
        float[] source = KernelTestData.Uniform(random, 16);
        double[] lowResBlurred = ScalarReference.GaussianBlur(source, 4, 4, 4.0 * 4 / 64);
        float[] lowResAsFloat = Array.ConvertAll(lowResBlurred, v => (float)v);
        double[] wrong = ScalarReference.Bilinear(lowResAsFloat, 4, 4, 64, 64);
        AxisWeights rows = AxisWeights.BilinearThenGaussian(4, 64, 4);
        var destination = new float[64 * 64];

        // Act
        SeparableFilter.Apply(source, rows, rows, new float[SeparableFilter.ScratchLength(rows, rows)], destination);

        // Assert
        double worst = 0;
        for (int i = 0; i < wrong.Length; i++) worst = Math.Max(worst, Math.Abs(wrong[i] - destination[i]));
        Assert.True(worst > 100 * MaxAbsDiff, $"max |diff| to blur-then-upsample is only {worst}");
    }

    [Fact]
    public void Apply_MaxSigmaOnSmallMap_MatchesUpsampleThenBlur()
    {
        // σ = 1024 → radius 4096: the reflected border folds back hundreds of times.

        // Arrange
        float[] source = KernelTestData.Uniform(new Random(KernelTestData.Seed), 12);
        AxisWeights rows = AxisWeights.BilinearThenGaussian(3, 9, AxisWeights.MaxSigma);
        AxisWeights cols = AxisWeights.BilinearThenGaussian(4, 11, AxisWeights.MaxSigma);
        float[] destination = KernelTestData.Poisoned(99);

        // Act
        SeparableFilter.Apply(source, rows, cols, new float[SeparableFilter.ScratchLength(rows, cols)], destination);

        // Assert
        KernelTestData.AssertMaxAbsDiff(ScalarReference.UpsampleThenBlur(source, 3, 4, 9, 11, AxisWeights.MaxSigma), destination, MaxAbsDiff, "3x4 -> 9x11, sigma 1024");
    }

    [Fact]
    public void Apply_ConstantSource_StaysConstant()
    {
        // Arrange
        AxisWeights rows = AxisWeights.BilinearThenGaussian(5, 77, 2.5);
        AxisWeights cols = AxisWeights.BilinearThenGaussian(3, 41, 2.5);
        var source = new float[15];
        Array.Fill(source, 0.625f);
        var destination = new float[77 * 41];

        // Act
        SeparableFilter.Apply(source, rows, cols, new float[SeparableFilter.ScratchLength(rows, cols)], destination);

        // Assert
        Assert.All(destination, v => Assert.Equal(0.625f, v, 1e-6f));
    }

    [Fact]
    public void Apply_ScratchLongerThanNeeded_IsAccepted()
    {
        // Arrange
        AxisWeights rows = AxisWeights.BilinearThenGaussian(2, 5, 1);
        AxisWeights cols = AxisWeights.BilinearThenGaussian(3, 4, 1);
        float[] source = KernelTestData.Uniform(new Random(KernelTestData.Seed), 6);
        var destination = new float[20];

        // Act
        SeparableFilter.Apply(source, rows, cols, new float[SeparableFilter.ScratchLength(rows, cols) + 100], destination);

        // Assert
        KernelTestData.AssertMaxAbsDiff(ScalarReference.UpsampleThenBlur(source, 2, 3, 5, 4, 1), destination, MaxAbsDiff, "2x3 -> 5x4");
    }

    [Theory]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(0)]
    public void Apply_SourceLengthWrong_ThrowsArgumentExceptionNamingSource(int sourceLength)
    {
        // Arrange
        AxisWeights rows = AxisWeights.BilinearThenGaussian(2, 5, 1);
        AxisWeights cols = AxisWeights.BilinearThenGaussian(3, 4, 1);

        // Act
        var ex = Assert.Throws<ArgumentException>(() =>
            SeparableFilter.Apply(new float[sourceLength], rows, cols, new float[SeparableFilter.ScratchLength(rows, cols)], new float[20]));

        // Assert
        Assert.Equal("source", ex.ParamName);
    }

    [Theory]
    [InlineData(19)]
    [InlineData(21)]
    [InlineData(0)]
    public void Apply_DestinationLengthWrong_ThrowsArgumentExceptionNamingDestination(int destinationLength)
    {
        // Arrange
        AxisWeights rows = AxisWeights.BilinearThenGaussian(2, 5, 1);
        AxisWeights cols = AxisWeights.BilinearThenGaussian(3, 4, 1);

        // Act
        var ex = Assert.Throws<ArgumentException>(() =>
            SeparableFilter.Apply(new float[6], rows, cols, new float[SeparableFilter.ScratchLength(rows, cols)], new float[destinationLength]));

        // Assert
        Assert.Equal("destination", ex.ParamName);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(0)]
    public void Apply_ScratchTooShort_ThrowsArgumentExceptionNamingScratch(int scratchLength)
    {
        // Arrange
        AxisWeights rows = AxisWeights.BilinearThenGaussian(2, 5, 1);
        AxisWeights cols = AxisWeights.BilinearThenGaussian(3, 4, 1);
        Assert.Equal(8, SeparableFilter.ScratchLength(rows, cols));

        // Act
        var ex = Assert.Throws<ArgumentException>(() =>
            SeparableFilter.Apply(new float[6], rows, cols, new float[scratchLength], new float[20]));

        // Assert
        Assert.Equal("scratch", ex.ParamName);
    }
}
