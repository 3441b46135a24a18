namespace DinoSeg.Tests.Features;

public sealed class FeatureLayoutTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 5)]
    [InlineData(33, 31)]
    [InlineData(64, 70)]
    [InlineData(256, 96)]
    public void ChannelMajorToPatchMajor_Transposes(int dim, int patches)
    {
        float[] map = RandomMap(dim, patches, seed: dim * 1000 + patches);
        float[] result = new float[map.Length];

        FeatureLayout.ChannelMajorToPatchMajor(map, dim, patches, centre: false, result);

        for (int c = 0; c < dim; c++)
        {
            for (int p = 0; p < patches; p++) Assert.Equal(map[c * patches + p], result[p * dim + c]);
        }
    }

    [Theory]
    [InlineData(3, 5)]
    [InlineData(256, 96)]
    public void ChannelMajorToPatchMajor_Centre_SubtractsEachChannelsMean(int dim, int patches)
    {
        float[] map = RandomMap(dim, patches, seed: 3);
        float[] result = new float[map.Length];

        FeatureLayout.ChannelMajorToPatchMajor(map, dim, patches, centre: true, result);

        for (int c = 0; c < dim; c++)
        {
            double mean = 0;
            for (int p = 0; p < patches; p++) mean += map[c * patches + p];
            mean /= patches;
            for (int p = 0; p < patches; p++) Assert.Equal(map[c * patches + p] - mean, result[p * dim + c], 1e-5);
        }
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void ChannelMajorToPatchMajor_NonFiniteValue_NamesItsPatchAndChannel(float bad)
    {
        float[] map = RandomMap(4, 6, seed: 1);
        map[2 * 6 + 5] = bad; // channel 2, patch 5

        var e = Assert.Throws<DinoSegModelException>(() => FeatureLayout.ChannelMajorToPatchMajor(map, 4, 6, centre: true, new float[24]));

        Assert.Contains("patch 5, channel 2", e.Found);
    }

    [Fact]
    public void ChannelMajorToPatchMajor_WrongLengths_Throw()
    {
        Assert.Throws<ArgumentException>(() => FeatureLayout.ChannelMajorToPatchMajor(new float[10], 2, 6, false, new float[12]));
        Assert.Throws<ArgumentException>(() => FeatureLayout.ChannelMajorToPatchMajor(new float[12], 2, 6, false, new float[11]));
    }

    [Fact]
    public void Adopt_HugeFiniteValues_StillGiveUnitVectors()
    {
        // Squares of 1e30 overflow float: the norm must be taken on rescaled values, not reported as an error.
        PatchFeatures f = PatchFeatures.FromVectors([3e30f, 4e30f, 1, 0], 1, 2, 2, 16, 32, 16, 32, 16, "test");

        Assert.Equal(0.6f, f.GetPatch(0, 0)[0], 1e-6f);
        Assert.Equal(0.8f, f.GetPatch(0, 0)[1], 1e-6f);
    }

    [Fact]
    public void FromVectors_CentredWithNaN_NamesTheOriginalPatch()
    {
        var e = Assert.Throws<DinoSegModelException>(() =>
            PatchFeatures.FromVectors([1, 0, 0, 1, 2, float.NaN], 1, 3, 2, 16, 48, 16, 48, 16, "test", centreChannels: true));

        Assert.Contains("patch 2, channel 1", e.Found);
    }

    private static float[] RandomMap(int dim, int patches, int seed)
    {
        var random = new Random(seed);
        var map = new float[dim * patches];
        for (int i = 0; i < map.Length; i++) map[i] = random.NextSingle() * 4 - 1;
        return map;
    }
}
