namespace DinoSeg.Tests.Reliability;

/// <summary>
/// NaN or infinity coming out of a model is reported as a <see cref="DinoSegModelException"/>, on both output layouts
/// (fixtures from tools/fixtures/make_nonfinite_models.py).
/// </summary>
public sealed class NonFiniteModelTests
{
    // The fixtures emit patch tokens only: no class token, no registers.
    private static readonly Backbone PatchTokensOnly = Backbone.Dinov3 with { Name = "nonfinite", HasClassToken = false, RegisterTokens = 0 };

    [Theory]
    [InlineData("nan-featuremap.onnx", 3, false)] // [1, D, rows, cols]
    [InlineData("nan-featuremap.onnx", 3, true)]  // centring must not hide it either
    [InlineData("inf-tokens.onnx", 5, false)]     // [1, tokens, D]
    public void Extract_ModelOutputNotFinite_ThrowsModelExceptionNamingTheChannel(string model, int channel, bool centre)
    {
        using var extractor = OnnxFeatureExtractor.Create(TestPaths.Fixture(model), PatchTokensOnly with { CentreFeatures = centre },
            new ExtractorOptions { Device = ExecutionDevice.Cpu, LongSide = 64 });
        using var image = Onnx.TinyDinov3Tests.PatternImage(64, 48);

        var e = Assert.Throws<DinoSegModelException>(() => extractor.Extract(image));

        Assert.Equal("finite feature values", e.Expected);
        Assert.Contains($"at patch 0, channel {channel}", e.Found);
        Assert.Contains("re-export", e.Fix);
    }

    [Fact]
    public void FromVectors_NaNOrInfinity_ThrowsModelException()
    {
        float[] values = [1, 2, 3, 4, 5, 6, 7, 8];
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            values[5] = bad;
            var e = Assert.Throws<DinoSegModelException>(() => PatchFeatures.FromVectors(values, 1, 2, 4, 16, 32, 16, 32, 16, "raw"));
            Assert.Contains("at patch 1, channel 1", e.Found);
        }
    }
}
