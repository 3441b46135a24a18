using System.Text.Json;
using DinoSeg.Kernels;

namespace DinoSeg.Tests.Kernels;

/// <summary>
/// The kernels and the scalar reference against values made by torch and scipy
/// (<c>tools/reference/make_kernel_references.py</c> → <c>References/kernels.json</c>).
/// </summary>
public sealed class KernelReferenceTests
{
    private const double MaxAbsDiff = 2e-5;

    private static readonly Lazy<KernelReferences> References = new(() =>
    {
        using FileStream stream = File.OpenRead(TestPaths.Reference("kernels.json"));
        return JsonSerializer.Deserialize<KernelReferences>(stream, new JsonSerializerOptions(JsonSerializerDefaults.Web))
            ?? throw new InvalidDataException("kernels.json is empty.");
    });

    public static TheoryData<int> BilinearCases => Indices(References.Value.Bilinear.Length);

    public static TheoryData<int> GaussianCases => Indices(References.Value.Gaussian.Length);

    public static TheoryData<int> UpsampleThenBlurCases => Indices(References.Value.UpsampleThenBlur.Length);

    [Fact]
    public void References_File_HoldsEveryKindOfCase()
    {
        // Act
        KernelReferences references = References.Value;

        // Assert
        Assert.NotEmpty(references.Bilinear);
        Assert.NotEmpty(references.Gaussian);
        Assert.NotEmpty(references.UpsampleThenBlur);
        foreach (ResizeCase c in references.Bilinear.Concat(references.UpsampleThenBlur))
        {
            Assert.Equal(c.InRows * c.InCols, c.Input.Length);
            Assert.Equal(c.OutRows * c.OutCols, c.Output.Length);
        }

        foreach (BlurCase c in references.Gaussian)
        {
            Assert.Equal(c.Rows * c.Cols, c.Input.Length);
            Assert.Equal(c.Rows * c.Cols, c.Output.Length);
        }
    }

    [Theory]
    [MemberData(nameof(BilinearCases))]
    public void Apply_BilinearReference_MatchesTorchInterpolate(int index)
    {
        // Arrange
        ResizeCase c = References.Value.Bilinear[index];
        AxisWeights rows = AxisWeights.BilinearThenGaussian(c.InRows, c.OutRows, 0);
        AxisWeights cols = AxisWeights.BilinearThenGaussian(c.InCols, c.OutCols, 0);
        float[] destination = KernelTestData.Poisoned(c.Output.Length);

        // Act
        SeparableFilter.Apply(c.Input, rows, cols, new float[SeparableFilter.ScratchLength(rows, cols)], destination);

        // Assert
        KernelTestData.AssertMaxAbsDiff(KernelTestData.ToDouble(c.Output), destination, MaxAbsDiff, c.ToString());
    }

    [Theory]
    [MemberData(nameof(GaussianCases))]
    public void Apply_GaussianReference_MatchesScipyGaussianFilter(int index)
    {
        // Arrange
        BlurCase c = References.Value.Gaussian[index];
        AxisWeights columnWeights = AxisWeights.Gaussian(c.Rows, c.Sigma);
        float[] kernel = Array.ConvertAll(AxisWeights.GaussianKernel(c.Sigma), w => (float)w);
        float[] scratch = KernelTestData.Poisoned(GaussianBlur.ScratchLength(c.Rows, c.Cols, c.Sigma));
        float[] destination = KernelTestData.Poisoned(c.Output.Length);

        // Act
        GaussianBlur.Apply(c.Input, columnWeights, kernel, c.Cols, scratch, destination);

        // Assert
        KernelTestData.AssertMaxAbsDiff(KernelTestData.ToDouble(c.Output), destination, MaxAbsDiff, c.ToString());
    }

    [Theory]
    [MemberData(nameof(UpsampleThenBlurCases))]
    public void Apply_UpsampleThenBlurReference_MatchesTorchThenScipy(int index)
    {
        // Arrange
        ResizeCase c = References.Value.UpsampleThenBlur[index];
        AxisWeights rows = AxisWeights.BilinearThenGaussian(c.InRows, c.OutRows, c.Sigma);
        AxisWeights cols = AxisWeights.BilinearThenGaussian(c.InCols, c.OutCols, c.Sigma);
        float[] destination = KernelTestData.Poisoned(c.Output.Length);

        // Act
        SeparableFilter.Apply(c.Input, rows, cols, new float[SeparableFilter.ScratchLength(rows, cols)], destination);

        // Assert
        KernelTestData.AssertMaxAbsDiff(KernelTestData.ToDouble(c.Output), destination, MaxAbsDiff, c.ToString());
    }

    // The oracle the sweeps trust must itself agree with torch and scipy.

    [Theory]
    [MemberData(nameof(BilinearCases))]
    public void ScalarReferenceBilinear_BilinearReference_MatchesTorchInterpolate(int index)
    {
        // Arrange
        ResizeCase c = References.Value.Bilinear[index];

        // Act
        double[] output = ScalarReference.Bilinear(c.Input, c.InRows, c.InCols, c.OutRows, c.OutCols);

        // Assert
        KernelTestData.AssertMaxAbsDiff(output, c.Output, MaxAbsDiff, c.ToString());
    }

    [Theory]
    [MemberData(nameof(GaussianCases))]
    public void ScalarReferenceGaussianBlur_GaussianReference_MatchesScipyGaussianFilter(int index)
    {
        // Arrange
        BlurCase c = References.Value.Gaussian[index];

        // Act
        double[] output = ScalarReference.GaussianBlur(c.Input, c.Rows, c.Cols, c.Sigma);

        // Assert
        KernelTestData.AssertMaxAbsDiff(output, c.Output, MaxAbsDiff, c.ToString());
    }

    [Theory]
    [MemberData(nameof(UpsampleThenBlurCases))]
    public void ScalarReferenceUpsampleThenBlur_UpsampleThenBlurReference_MatchesTorchThenScipy(int index)
    {
        // Arrange
        ResizeCase c = References.Value.UpsampleThenBlur[index];

        // Act
        double[] output = ScalarReference.UpsampleThenBlur(c.Input, c.InRows, c.InCols, c.OutRows, c.OutCols, c.Sigma);

        // Assert
        KernelTestData.AssertMaxAbsDiff(output, c.Output, MaxAbsDiff, c.ToString());
    }

    private static TheoryData<int> Indices(int count) => new(Enumerable.Range(0, count));

    private sealed record KernelReferences(ResizeCase[] Bilinear, BlurCase[] Gaussian, ResizeCase[] UpsampleThenBlur);

    private sealed record ResizeCase(int InRows, int InCols, int OutRows, int OutCols, double Sigma, float[] Input, float[] Output)
    {
        public override string ToString() =>
            $"{InRows}x{InCols} -> {OutRows}x{OutCols}, sigma {KernelTestData.Invariant(Sigma)}";
    }

    private sealed record BlurCase(int Rows, int Cols, double Sigma, float[] Input, float[] Output)
    {
        public override string ToString() => $"{Rows}x{Cols}, sigma {KernelTestData.Invariant(Sigma)}";
    }
}
