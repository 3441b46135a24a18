using Microsoft.Extensions.Options;

namespace DinoSeg.Tests.Hosting;

/// <summary>The README promises an OptionsValidationException naming every problem: several bad values per group, all named.</summary>
public sealed class OptionsValidatorTests
{
    private static readonly DinoSegOptionsValidator Validator = new();

    [Fact]
    public void Validate_ManyBadValuesInEveryGroup_NamesEachOfThem()
    {
        var options = new DinoSegOptions
        {
            ModelPath = "/no/such/model.onnx",
            Backbone = Backbone.Dinov3 with { Name = " ", PixelScale = -1f, Mean = [0.5f], DefaultThreshold = 3f },
            Extractor = ExtractorOptions.Default with { LongSide = -5, IntraOpThreads = -1, CudaDeviceId = -2, OptimizedModelPath = " " },
            Segmentation = SegmentationOptions.Default with
            {
                SimilaritySigma = -1,
                FeatherSigma = double.NaN,
                BoxMargin = 11,
                MinRegionArea = -3,
                FillHolesArea = -1,
                SmoothRadius = 1000,
                RefineRadius = 0,
                RefineEpsilon = 0,
                Graph = GraphOptions.Default with { Neighbours = 0, Alpha = 2, MaxIterations = 0 },
                Crf = CrfOptions.Default with { Temperature = 0, BilateralSpatial = 0.5, BilateralColor = 300, SmoothnessWeight = -1, Iterations = 0 },
            },
        };

        ValidateOptionsResult result = Validator.Validate(null, options);

        Assert.True(result.Failed);
        string[] expected =
        [
            "DinoSeg: ModelPath '/no/such/model.onnx' does not exist",
            "DinoSeg: Backbone.Name: ", "DinoSeg: Backbone.PixelScale: ", "DinoSeg: Backbone.Mean: ", "DinoSeg: Backbone.DefaultThreshold: ",
            "DinoSeg: Extractor.LongSide: ", "DinoSeg: Extractor.IntraOpThreads: ", "DinoSeg: Extractor.CudaDeviceId: ",
            "DinoSeg: Extractor.OptimizedModelPath: ",
            "DinoSeg: Segmentation.SimilaritySigma: ", "DinoSeg: Segmentation.FeatherSigma: ", "DinoSeg: Segmentation.BoxMargin: ",
            "DinoSeg: Segmentation.MinRegionArea: ", "DinoSeg: Segmentation.FillHolesArea: ", "DinoSeg: Segmentation.SmoothRadius: ",
            "DinoSeg: Segmentation.RefineRadius: ", "DinoSeg: Segmentation.RefineEpsilon: ",
            "DinoSeg: Segmentation.Graph.Neighbours: ", "DinoSeg: Segmentation.Graph.Alpha: ", "DinoSeg: Segmentation.Graph.MaxIterations: ",
            "DinoSeg: Segmentation.Crf.Temperature: ", "DinoSeg: Segmentation.Crf.BilateralSpatial: ", "DinoSeg: Segmentation.Crf.BilateralColor: ",
            "DinoSeg: Segmentation.Crf.SmoothnessWeight: ", "DinoSeg: Segmentation.Crf.Iterations: ",
        ];
        foreach (string start in expected) Assert.Contains(result.Failures!, f => f.StartsWith(start, StringComparison.Ordinal));
        Assert.Equal(expected.Length, result.Failures!.Count()); // each once, nothing invented
    }

    [Fact]
    public void Validate_PropertiesCheckedTogether_ReportedByTheLastPassBesideTheOthers()
    {
        // The patch size and a block's stride are only wrong together; the bad register count is reported on its own as well.
        var backbone = Backbone.ResNet18 with { RegisterTokens = -1, PatchSize = 14 };
        var options = new DinoSegOptions { Backbone = backbone };

        ValidateOptionsResult result = Validator.Validate(null, options);

        Assert.Contains(result.Failures!, f => f.StartsWith("DinoSeg: Backbone.RegisterTokens: ", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("DinoSeg: Backbone.Blocks: ", StringComparison.Ordinal) && f.Contains("patch size 14", StringComparison.Ordinal));
        Assert.Equal(2, result.Failures!.Count());
    }

    [Fact]
    public void Validate_Defaults_Succeeds()
    {
        Assert.True(Validator.Validate(null, new DinoSegOptions()).Succeeded);
    }

    [Fact]
    public void Validate_OneBadValue_NamesOnlyThatOne()
    {
        var options = new DinoSegOptions { Segmentation = SegmentationOptions.Default with { RefineRadius = 999 } };

        ValidateOptionsResult result = Validator.Validate(null, options);

        string failure = Assert.Single(result.Failures!);
        Assert.StartsWith("DinoSeg: Segmentation.RefineRadius: ", failure, StringComparison.Ordinal);
        Assert.Contains("[1, 256]", failure, StringComparison.Ordinal);
    }

}
