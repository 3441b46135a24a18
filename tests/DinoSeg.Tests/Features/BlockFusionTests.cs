using Microsoft.ML.OnnxRuntime;

namespace DinoSeg.Tests.Features;

/// <summary>
/// Fusing a multi-output backbone's blocks (<see cref="Backbone.Blocks"/>) into one vector per patch, against a scalar
/// reference written here from the definition: finer maps averaged over the cells a patch covers, coarser maps upsampled
/// bilinearly (torch align_corners=False, <see cref="ScalarReference.Bilinear"/>), each block centred per channel and
/// L2-normalised, weighted, concatenated and normalised again. All in double precision, sharing no code with BlockFusion.
/// </summary>
public sealed class BlockFusionTests
{
    private const double Tolerance = 2e-6;

    /// <summary>One block for the reference: a channel-major map and its weight.</summary>
    internal sealed record RefBlock(float[] Map, int Channels, int MapRows, int MapCols, float Weight);

    /// <summary>The fused, normalised vectors (patch-major) of the used blocks (weight &gt; 0), by the definition.</summary>
    internal static double[] ReferenceFuse(IReadOnlyList<RefBlock> blocks, int rows, int cols, bool centre)
    {
        RefBlock[] used = [.. blocks.Where(b => b.Weight > 0)];
        int patches = rows * cols, dim = used.Sum(b => b.Channels), offset = 0;
        var fused = new double[patches * dim];
        foreach (RefBlock block in used)
        {
            int mapPlane = block.MapRows * block.MapCols;
            for (int c = 0; c < block.Channels; c++)
            {
                ReadOnlySpan<float> plane = block.Map.AsSpan(c * mapPlane, mapPlane);
                double[] onGrid = new double[patches];
                if (block.MapRows == rows && block.MapCols == cols)
                {
                    for (int p = 0; p < patches; p++) onGrid[p] = plane[p];
                }
                else if (block.MapRows > rows)
                {
                    int f = block.MapRows / rows;
                    for (int r = 0; r < rows; r++)
                    {
                        for (int q = 0; q < cols; q++)
                        {
                            double sum = 0;
                            for (int dy = 0; dy < f; dy++)
                            {
                                for (int dx = 0; dx < f; dx++) sum += plane[(r * f + dy) * block.MapCols + q * f + dx];
                            }

                            onGrid[r * cols + q] = sum / (f * f);
                        }
                    }
                }
                else
                {
                    onGrid = ScalarReference.Bilinear(plane, block.MapRows, block.MapCols, rows, cols);
                }

                double mean = centre ? onGrid.Average() : 0;
                for (int p = 0; p < patches; p++) fused[p * dim + offset + c] = onGrid[p] - mean;
            }

            for (int p = 0; p < patches; p++)
            {
                double norm = 0;
                for (int c = 0; c < block.Channels; c++) norm += fused[p * dim + offset + c] * fused[p * dim + offset + c];
                norm = Math.Sqrt(norm);
                for (int c = 0; c < block.Channels; c++) fused[p * dim + offset + c] = norm > 0 ? fused[p * dim + offset + c] / norm * block.Weight : 0;
            }

            offset += block.Channels;
        }

        for (int p = 0; p < patches; p++)
        {
            double norm = 0;
            for (int d = 0; d < dim; d++) norm += fused[p * dim + d] * fused[p * dim + d];
            norm = Math.Sqrt(norm);
            for (int d = 0; d < dim; d++) fused[p * dim + d] = norm > 0 ? fused[p * dim + d] / norm : 0;
        }

        return fused;
    }

    /// <summary>The library's fusion of the same blocks: BlockFusion per used block, then the normalisation PatchFeatures applies.</summary>
    private static float[] LibraryFuse(IReadOnlyList<RefBlock> blocks, int rows, int cols, bool centre)
    {
        RefBlock[] used = [.. blocks.Where(b => b.Weight > 0)];
        int dim = used.Sum(b => b.Channels), offset = 0;
        var vectors = new float[rows * cols * dim];
        foreach (RefBlock b in used)
        {
            BlockFusion.WriteBlock(b.Map, b.Channels, b.MapRows, b.MapCols, rows, cols, centre, b.Weight, vectors, dim, offset);
            offset += b.Channels;
        }

        return PatchFeatures.Adopt(vectors, rows, cols, dim, 16, cols * 16, rows * 16, "test", centreChannels: false).Vectors.ToArray();
    }

    private static float[] RandomMap(Random random, int length)
    {
        var map = new float[length];
        // Post-ReLU-like: non-negative, many zeros.
        for (int i = 0; i < length; i++) map[i] = MathF.Max(0, (float)(random.NextDouble() * 4 - 1.5));
        return map;
    }

    private static void AssertClose(double[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (Math.Abs(expected[i] - actual[i]) > Tolerance) Assert.Fail($"{what}: value {i} is {actual[i]}, expected {expected[i]}");
        }
    }

    [Fact]
    public void WriteBlock_ResNet18Strides_MatchesTheScalarReference_ForEveryGridUpTo6x6()
    {
        // Strides 8, 16 and 32 on a 16-px grid: maps of 2r x 2c, r x c and r/2 x c/2 (working sides multiples of 32).
        var random = new Random(42);
        for (int rows = 2; rows <= 6; rows += 2)
        {
            for (int cols = 2; cols <= 6; cols += 2)
            {
                foreach (bool centre in (bool[])[true, false])
                {
                    RefBlock[] blocks =
                    [
                        new(RandomMap(random, 5 * 2 * rows * 2 * cols), 5, 2 * rows, 2 * cols, 0.5f),
                        new(RandomMap(random, 7 * rows * cols), 7, rows, cols, 1f),
                        new(RandomMap(random, 9 * rows / 2 * cols / 2), 9, rows / 2, cols / 2, 0.5f),
                    ];

                    AssertClose(ReferenceFuse(blocks, rows, cols, centre), LibraryFuse(blocks, rows, cols, centre), $"{rows}x{cols} centre {centre}");
                }
            }
        }
    }

    [Fact]
    public void WriteBlock_OtherFactorsAndWeights_MatchTheScalarReference()
    {
        // Pooling by 4, upsampling by non-integer factors (4x3 → 7x5), a zero weight (left out) and unequal weights. (Not
        // 2x2 → 3x3: its centre patch is exactly the plane's mean, so the block there is zero up to rounding, and
        // normalising rounding noise has no reference value.)
        var random = new Random(42);
        foreach (var (rows, cols) in new[] { (1, 1), (1, 7), (7, 5), (3, 4), (8, 4) })
        {
            RefBlock[] blocks =
            [
                new(RandomMap(random, 3 * 4 * rows * 4 * cols), 3, 4 * rows, 4 * cols, 0.3f),
                new(RandomMap(random, 4 * rows * cols), 4, rows, cols, 0f),
                new(RandomMap(random, 6 * ((rows + 1) / 2) * ((cols + 1) / 2)), 6, (rows + 1) / 2, (cols + 1) / 2, 2f),
                new(RandomMap(random, 2 * 1 * 1), 2, 1, 1, 1f),
            ];

            AssertClose(ReferenceFuse(blocks, rows, cols, true), LibraryFuse(blocks, rows, cols, true), $"{rows}x{cols}");
        }
    }

    [Fact]
    public void WriteBlock_ConstantBlock_StaysZero_AndTheOthersCarryTheVector()
    {
        // A constant map is all zero after centring: that block contributes nothing, the vector is still unit length.
        var constant = new RefBlock(Enumerable.Repeat(3f, 2 * 2 * 2).ToArray(), 2, 2, 2, 1f);
        var varying = new RefBlock([1, 2, 3, 4, 0, 1, 0, 1], 2, 2, 2, 1f);

        float[] fused = LibraryFuse([constant, varying], 2, 2, centre: true);

        AssertClose(ReferenceFuse([constant, varying], 2, 2, true), fused, "constant");
        for (int p = 0; p < 4; p++)
        {
            Assert.Equal(0f, fused[p * 4]);
            Assert.Equal(0f, fused[p * 4 + 1]);
        }
    }

    [Fact]
    public void WriteBlock_NaNInAMap_ThrowsModelException()
    {
        float[] map = RandomMap(new Random(1), 3 * 4 * 4);
        map[17] = float.NaN;

        Assert.Throws<DinoSegModelException>(() => BlockFusion.WriteBlock(map, 3, 4, 4, 2, 2, true, 1f, new float[2 * 2 * 3], 3, 0));
    }

    [Fact]
    public void WriteBlock_MapThatFitsNoWay_ThrowsArgumentException()
    {
        // 5 rows onto 2: neither whole cells (5 is not a multiple of 2) nor upsampling.
        Assert.Throws<ArgumentException>(() => BlockFusion.WriteBlock(new float[5 * 4], 1, 5, 4, 2, 2, true, 1f, new float[4], 1, 0));
    }

    [Theory]
    [InlineData("chelsea.png", 256)]
    [InlineData("coffee.png", 320)]
    public void Extract_EmbeddedResNet18_EqualsTheReferenceFusionOfTheModelsOwnOutputs(string file, int longSide)
    {
        using var extractor = OnnxFeatureExtractor.CreateDefault(new ExtractorOptions { Device = ExecutionDevice.Cpu, LongSide = longSide });
        using var image = ImageDecoder.Load(TestPaths.Image(file));
        var (width, height) = extractor.WorkingSizeFor(image.Width, image.Height);
        int rows = height / 16, cols = width / 16;

        // The three maps straight from the two embedded models, run here on the input the library prepares.
        var input = new float[3 * width * height];
        Preprocessing.WriteNchw(image, width, height, Backbone.ResNet18, input);
        using var head = new InferenceSession(OnnxFeatureExtractor.ReadEmbeddedModel());
        using var tail = new InferenceSession(OnnxFeatureExtractor.ReadEmbeddedModel(OnnxFeatureExtractor.EmbeddedLayer4File));
        using var pixels = OrtValue.CreateTensorValueFromMemory(input, [1, 3, height, width]);
        using var layers23 = head.Run(new RunOptions(), ["Input247"], [pixels], ["ReLU315_Output_0", "ReLU347_Output_0"]);
        using var layer4 = tail.Run(new RunOptions(), ["ReLU347_Output_0"], [layers23.ElementAt(1)], ["ReLU379_Output_0"]);
        RefBlock[] blocks =
        [
            new(layers23.ElementAt(0).GetTensorDataAsSpan<float>().ToArray(), 128, 2 * rows, 2 * cols, 0.5f),
            new(layers23.ElementAt(1).GetTensorDataAsSpan<float>().ToArray(), 256, rows, cols, 1f),
            new(layer4.ElementAt(0).GetTensorDataAsSpan<float>().ToArray(), 512, rows / 2, cols / 2, 0.5f),
        ];

        PatchFeatures features = extractor.Extract(image);

        Assert.Equal((rows, cols, 896), (features.Rows, features.Cols, features.Dim));
        AssertClose(ReferenceFuse(blocks, rows, cols, centre: true), features.Vectors.ToArray(), file);
    }
}

/// <summary>The block description on <see cref="Backbone"/>: presets, working multiple, weights, validation.</summary>
public sealed class BackboneBlocksTests
{
    [Fact]
    public void ResNet18_FusesLayers2To4_At05105_AndNeedsMultiplesOf32()
    {
        Backbone b = Backbone.ResNet18;

        Assert.Equal(["ReLU315_Output_0", "ReLU347_Output_0", "ReLU379_Output_0"], b.Blocks.Select(x => x.Output));
        Assert.Equal([8, 16, 32], b.Blocks.Select(x => x.Stride));
        Assert.Equal([0.5f, 1f, 0.5f], b.Blocks.Select(x => x.Weight));
        Assert.Equal(32, b.WorkingMultiple);
        Assert.Equal((512, 0.2f), (b.DefaultLongSide, b.DefaultThreshold)); // unchanged: chosen by evaluation, not here
    }

    [Fact]
    public void ResNet18Layer3_IsLayer3Alone_OnMultiplesOf16()
    {
        Backbone b = Backbone.ResNet18Layer3;

        Assert.Equal("resnet18-l3", b.Name);
        Assert.Equal([0f, 1f, 0f], b.Blocks.Select(x => x.Weight));
        Assert.Equal(16, b.WorkingMultiple);
        Assert.Equal(["ReLU347_Output_0"], b.UsedBlocks.Select(x => x.Output));
    }

    [Theory]
    [InlineData(new float[] { 1, 1, 1 }, 32)]
    [InlineData(new float[] { 1, 0, 0 }, 16)] // a finer block alone still needs only the patch size
    [InlineData(new float[] { 0, 0, 1 }, 32)]
    [InlineData(new float[] { 0.5f, 1, 0 }, 16)]
    public void WithBlockWeights_SetsWeights_AndTheWorkingMultipleFollowsTheUsedBlocks(float[] weights, int multiple)
    {
        Backbone b = Backbone.ResNet18.WithBlockWeights(weights);

        Assert.Equal(weights, b.Blocks.Select(x => x.Weight));
        Assert.Equal(multiple, b.WorkingMultiple);
        Assert.Equal(Backbone.ResNet18.Name, b.Name);
        b.Validate();
    }

    [Fact]
    public void SingleOutputPresets_HaveNoBlocks_AndThePatchSizeAsMultiple()
    {
        foreach (Backbone b in new[] { Backbone.Dinov3, Backbone.Dinov3Satellite, Backbone.Dinov2(), Backbone.Dinov2(4) })
        {
            Assert.Empty(b.Blocks);
            Assert.Equal(b.PatchSize, b.WorkingMultiple);
        }
    }

    [Fact]
    public void WorkingMultiple_IsTheLeastCommonMultipleOfTheStrides()
    {
        Backbone b = Backbone.ResNet18 with { Blocks = [new("a", 32), new("b", 48)] };

        Assert.Equal(96, b.WorkingMultiple);
    }

    [Fact]
    public void Validate_BadBlocks_ThrowNamingBlocks()
    {
        Backbone r = Backbone.ResNet18;
        Backbone[] bad =
        [
            r with { Blocks = null! },
            r with { Blocks = [new("a", 12)] },               // neither divides nor is a multiple of 16
            r with { Blocks = [new("a", 0)] },
            r with { Blocks = [new("a", 16, -1f)] },
            r with { Blocks = [new("a", 16, float.NaN)] },
            r with { Blocks = [new("a", 16, 0f), new("b", 32, 0f)] }, // nothing used
            r with { Blocks = [new("a", 16), new("a", 32)] },   // the same output twice
            r with { Blocks = [new("", 16)] },
        ];

        foreach (Backbone b in bad) Assert.Throws<ArgumentException>("Blocks", b.Validate);
    }

    [Fact]
    public void WithBlockWeights_WrongCount_Throws()
    {
        Assert.Throws<ArgumentException>("weights", () => Backbone.ResNet18.WithBlockWeights(1f, 1f));
        Assert.Throws<ArgumentException>("weights", () => Backbone.Dinov3.WithBlockWeights(1f));
    }
}
