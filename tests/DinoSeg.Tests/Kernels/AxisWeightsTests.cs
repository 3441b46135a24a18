using DinoSeg.Kernels;

namespace DinoSeg.Tests.Kernels;

public sealed class AxisWeightsTests
{
    public static TheoryData<int, int, double> Axes
    {
        get
        {
            var data = new TheoryData<int, int, double>();
            foreach (var (input, output) in new[] { (1, 1), (1, 9), (2, 2), (3, 48), (5, 37), (7, 3), (16, 16), (13, 5), (4, 256) })
            {
                foreach (double sigma in SeparableFilterTests.Sigmas) data.Add(input, output, sigma);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Axes))]
    public void BilinearThenGaussian_AnyAxis_WindowsInRangeAndRowsSumToOne(int inputLength, int outputLength, double sigma)
    {
        // Act
        AxisWeights weights = AxisWeights.BilinearThenGaussian(inputLength, outputLength, sigma);

        // Assert
        AssertWellFormed(weights, inputLength, outputLength);
    }

    public static TheoryData<int, double> Lengths
    {
        get
        {
            var data = new TheoryData<int, double>();
            foreach (int length in new[] { 1, 2, 3, 7, 40, 257 })
            {
                foreach (double sigma in SeparableFilterTests.Sigmas) data.Add(length, sigma);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Gaussian_AnyLength_WindowsInRangeAndRowsSumToOne(int length, double sigma)
    {
        // Act
        AxisWeights weights = AxisWeights.Gaussian(length, sigma);

        // Assert
        AssertWellFormed(weights, length, length);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    public void BilinearThenGaussian_SameSizeWithoutBlur_IsIdentity(int length)
    {
        // Act
        AxisWeights weights = AxisWeights.BilinearThenGaussian(length, length, 0);

        // Assert
        Assert.Equal(1, weights.Taps);
        Assert.Equal(Enumerable.Range(0, length), weights.Starts.ToArray());
        Assert.All(weights.Weights.ToArray(), w => Assert.Equal(1f, w));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public void Gaussian_SigmaZero_IsIdentity(int length)
    {
        // Act
        AxisWeights weights = AxisWeights.Gaussian(length, 0);

        // Assert
        Assert.Equal(1, weights.Taps);
        Assert.Equal(Enumerable.Range(0, length), weights.Starts.ToArray());
        Assert.All(weights.Weights.ToArray(), w => Assert.Equal(1f, w));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(1.0)]
    [InlineData(2.5)]
    [InlineData(4.0)]
    [InlineData(10.0)]
    [InlineData(1024.0)]
    public void GaussianKernel_AnySigma_MatchesScipyDefinition(double sigma)
    {
        // Arrange
        double[] expected = ScalarReference.GaussianKernel(sigma);

        // Act
        double[] kernel = AxisWeights.GaussianKernel(sigma);

        // Assert
        Assert.Equal(2 * (int)(4 * sigma + 0.5) + 1, kernel.Length);
        Assert.Equal(expected.Length, kernel.Length);
        for (int i = 0; i < kernel.Length; i++) Assert.True(KernelTestData.IsClose(expected[i], kernel[i], 1e-12), $"tap {i}");
    }

    [Theory]
    [InlineData(1e-10)]
    [InlineData(1e-200)]
    [InlineData(double.Epsilon)]
    public void Gaussian_TinyPositiveSigma_IsIdentityNotNaN(double sigma)
    {
        // scipy.ndimage.gaussian_filter treats σ ≤ 1e-15 as "no blur"; any accepted σ must at least give finite weights.

        // Act
        AxisWeights weights = AxisWeights.Gaussian(5, sigma);

        // Assert
        Assert.All(weights.Weights.ToArray(), w => Assert.Equal(1f, w));
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(-1, 5)]
    public void BilinearThenGaussian_InputLengthNotPositive_ThrowsNamingInputLength(int inputLength, int outputLength)
    {
        // Act
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => AxisWeights.BilinearThenGaussian(inputLength, outputLength, 1));

        // Assert
        Assert.Equal("inputLength", ex.ParamName);
    }

    [Theory]
    [InlineData(5, 0)]
    [InlineData(5, -3)]
    public void BilinearThenGaussian_OutputLengthNotPositive_ThrowsNamingOutputLength(int inputLength, int outputLength)
    {
        // Act
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => AxisWeights.BilinearThenGaussian(inputLength, outputLength, 1));

        // Assert
        Assert.Equal("outputLength", ex.ParamName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Gaussian_LengthNotPositive_ThrowsNamingLength(int length)
    {
        // Act
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => AxisWeights.Gaussian(length, 1));

        // Assert
        Assert.Equal("length", ex.ParamName);
    }

    public static TheoryData<double> BadSigmas => new()
    {
        double.NaN, -1.0, -double.Epsilon, double.NegativeInfinity, double.PositiveInfinity,
        AxisWeights.MaxSigma + 1, Math.BitIncrement(AxisWeights.MaxSigma), 1e300,
    };

    [Theory]
    [MemberData(nameof(BadSigmas))]
    public void BilinearThenGaussian_SigmaNaNNegativeOrHuge_ThrowsArgumentOutOfRange(double sigma)
    {
        // Act
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => AxisWeights.BilinearThenGaussian(4, 64, sigma));

        // Assert
        Assert.Equal("sigma", ex.ParamName);
    }

    [Theory]
    [MemberData(nameof(BadSigmas))]
    public void Gaussian_SigmaNaNNegativeOrHuge_ThrowsArgumentOutOfRange(double sigma)
    {
        // Act
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => AxisWeights.Gaussian(64, sigma));

        // Assert
        Assert.Equal("sigma", ex.ParamName);
    }

    [Fact]
    public void Gaussian_MaxSigma_IsAccepted()
    {
        // Act
        AxisWeights weights = AxisWeights.Gaussian(8, AxisWeights.MaxSigma);

        // Assert
        AssertWellFormed(weights, 8, 8);
    }

    private static void AssertWellFormed(AxisWeights weights, int inputLength, int outputLength)
    {
        Assert.Equal(inputLength, weights.InputLength);
        Assert.Equal(outputLength, weights.OutputLength);
        Assert.InRange(weights.Taps, 1, inputLength);
        Assert.Equal(outputLength, weights.Starts.Length);
        Assert.Equal(outputLength * weights.Taps, weights.Weights.Length);
        for (int o = 0; o < outputLength; o++)
        {
            Assert.InRange(weights.Starts[o], 0, inputLength - weights.Taps);
            double sum = 0;
            foreach (float w in weights.Weights.Slice(o * weights.Taps, weights.Taps))
            {
                Assert.True(w >= 0 && float.IsFinite(w), $"output {o}: weight {w}");
                sum += w;
            }

            Assert.True(Math.Abs(sum - 1) <= 1e-5, $"output {o}: weights sum to {sum}");
        }
    }
}
