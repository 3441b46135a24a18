using DinoSeg.Crf;
using DinoSeg.Evaluation;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Tests.Segmentation.Crf;

public sealed class DenseCrfTests
{
    private const float Threshold = 0.5f;

    /// <summary>
    /// A noisy red object (x &lt; <paramref name="edge"/>) on a noisy blue background, and a similarity map that knows the
    /// object only roughly, as an upsampled patch map does: a ramp from 0.65 to 0.35, 4·<paramref name="offset"/> wide, that
    /// crosses the threshold <paramref name="offset"/> pixels right of the colour edge, plus uniform noise of ±0.2, so
    /// a tenth or more of the pixels on each side fall on the wrong side of the threshold.
    /// </summary>
    private static (byte[] Rgb, float[] Similarity, byte[] Truth) NoisyTwoRegions(int width, int height, int edge, int offset, int seed)
    {
        var random = new Random(seed);
        var rgb = new byte[3 * width * height];
        var similarity = new float[width * height];
        var truth = new byte[width * height];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int p = y * width + x, noise = random.Next(-20, 21);
                bool inside = x < edge;
                (rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]) = inside ? ((byte)(200 + noise), (byte)(60 + noise), (byte)50) : ((byte)40, (byte)(90 + noise), (byte)(190 + noise));
                float ramp = Math.Clamp((edge + offset - x) / (2f * Math.Max(1, offset)), -1f, 1f);
                similarity[p] = 0.5f + 0.15f * ramp + (float)(0.4 * random.NextDouble() - 0.2);
                truth[p] = inside ? (byte)255 : (byte)0;
            }
        }

        return (rgb, similarity, truth);
    }

    /// <summary>The settings these tests were written for, spelt out so that tuning the defaults does not move them.</summary>
    private static readonly CrfOptions Pinned = new()
    {
        Temperature = 0.05,
        BilateralWeight = 3,
        BilateralSpatial = 60,
        BilateralColor = 13,
        SmoothnessWeight = 1,
        SmoothnessSpatial = 1,
        Iterations = 5,
    };

    private static byte[] Plain(float[] similarity) => [.. similarity.Select(s => s >= Threshold ? (byte)255 : (byte)0)];

    [Theory]
    [InlineData(128, 96, 61, 3)]    // working grid = image
    [InlineData(600, 400, 289, 20)] // reduced by 3 (edge not on a cell boundary)
    public void Run_NoisyUnaryOnTwoColourRegions_RecoversTheTrueMask(int width, int height, int edge, int offset)
    {
        var (rgb, similarity, truth) = NoisyTwoRegions(width, height, edge, offset, seed: 5);
        CrfImage image = CrfImage.Build(rgb, width, height, Pinned.BilateralSpatial, Pinned.BilateralColor);
        var mask = new byte[width * height];

        int selected = new DenseCrfSolver().Run(image, similarity, width, height, Threshold, Pinned, [], [], 1, mask);

        double before = MaskMetrics.IoU(Plain(similarity), truth), after = MaskMetrics.IoU(mask, truth);
        Assert.True(before < 0.85, $"plain threshold IoU {before:0.000}");
        Assert.True(after > 0.98, $"IoU {before:0.000} → {after:0.000}");
        Assert.Equal(mask.Count(v => v != 0), selected);
    }

    [Fact]
    public void Run_OneIteration_MatchesMeanFieldWithDirectKernelSums()
    {
        // Unary from the map; one update with both kernels written out over all pairs (the Gaussian cut at 3θγ, as in the solver).
        const int width = 30, height = 22;
        var (rgb, similarity, _) = NoisyTwoRegions(width, height, 13, 3, seed: 8);
        CrfOptions options = Pinned with { Iterations = 1, BilateralSpatial = 4, SmoothnessSpatial = 1.5 };
        CrfImage image = CrfImage.Build(rgb, width, height, options.BilateralSpatial, options.BilateralColor);
        var solver = new DenseCrfSolver { Sequential = true };
        solver.Run(image, similarity, width, height, Threshold, options, [], [], 1, new byte[width * height]);
        float[] fast = solver.Probabilities.ToArray();

        double[] expected = DirectMeanField(rgb, similarity, width, height, options);

        double mean = fast.Zip(expected, (a, b) => Math.Abs(a - b)).Average(), worst = fast.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(mean < 0.01 && worst < 0.1, $"|ΔQ| mean {mean:0.0000}, largest {worst:0.0000}");

        // The Gaussian kernel alone is exact (separable passes over the same window): float rounding only.
        options = options with { BilateralWeight = 0 };
        solver.Run(image, similarity, width, height, Threshold, options, [], [], 1, new byte[width * height]);
        expected = DirectMeanField(rgb, similarity, width, height, options);
        Assert.All(solver.Probabilities.ToArray().Zip(expected), pair => Assert.Equal(pair.Second, pair.First, 1e-5));
    }

    /// <summary>Q₀ = logistic(L), then Q₁ = logistic(L + w₁(2M₁ − 1) + w₂(2M₂ − 1)) with every kernel sum over all pixel pairs.</summary>
    private static double[] DirectMeanField(byte[] rgb, float[] similarity, int width, int height, CrfOptions o)
    {
        int n = width * height, radius = (int)Math.Ceiling(3 * o.SmoothnessSpatial);
        var logOdds = new double[n];
        var q = new double[n];
        for (int i = 0; i < n; i++)
        {
            logOdds[i] = Math.Clamp((similarity[i] - Threshold) / o.Temperature, -DenseCrfSolver.MaxLogOdds, DenseCrfSolver.MaxLogOdds);
            q[i] = 1 / (1 + Math.Exp(-logOdds[i]));
        }

        var next = new double[n];
        for (int i = 0; i < n; i++)
        {
            int xi = i % width, yi = i / width;
            double bilateral = 0, bilateralWeight = 0, smooth = 0, smoothWeight = 0;
            for (int j = 0; j < n; j++)
            {
                int dx = j % width - xi, dy = j / width - yi;
                double colour = 0;
                for (int c = 0; c < 3; c++) colour += Math.Pow(rgb[3 * i + c] - rgb[3 * j + c], 2);
                double k1 = Math.Exp(-(dx * dx + dy * dy) / (2 * o.BilateralSpatial * o.BilateralSpatial) - colour / (2 * o.BilateralColor * o.BilateralColor));
                bilateral += k1 * q[j];
                bilateralWeight += k1;
                if (Math.Abs(dx) > radius || Math.Abs(dy) > radius) continue;
                double k2 = Math.Exp(-(dx * dx + dy * dy) / (2 * o.SmoothnessSpatial * o.SmoothnessSpatial));
                smooth += k2 * q[j];
                smoothWeight += k2;
            }

            double z = logOdds[i] + o.BilateralWeight * (2 * bilateral / bilateralWeight - 1) + o.SmoothnessWeight * (2 * smooth / smoothWeight - 1);
            next[i] = 1 / (1 + Math.Exp(-z));
        }

        return next;
    }

    [Fact]
    public void Run_Seeds_KeepTheirLabelsAndExcludedPixelsStayOut()
    {
        const int width = 128, height = 96;
        var (rgb, similarity, _) = NoisyTwoRegions(width, height, 61, 0, seed: 2);
        for (int x = 0; x < 30; x++) similarity[80 * width + x] = SegmentationResult.Excluded;  // a row of the object the gate ruled out
        CrfImage image = CrfImage.Build(rgb, width, height, Pinned.BilateralSpatial, Pinned.BilateralColor);
        var mask = new byte[width * height];
        PixelPoint positive = new(110, 50), negative = new(20, 40);

        int selected = new DenseCrfSolver().Run(image, similarity, width, height, Threshold, Pinned, [positive], [negative], 2, mask);

        for (int dy = -2; dy <= 2; dy++)
        {
            for (int dx = -2; dx <= 2; dx++)
            {
                Assert.Equal(255, mask[(positive.Y + dy) * width + positive.X + dx]);
                Assert.Equal(0, mask[(negative.Y + dy) * width + negative.X + dx]);
            }
        }

        Assert.All(mask.AsSpan(80 * width, 30).ToArray(), v => Assert.Equal(0, v));
        Assert.Equal(255, mask[79 * width + 10]); // its neighbours are still object
        Assert.Equal(mask.Count(v => v != 0), selected);
    }

    [Fact]
    public void Run_SequentialAndSplitOverThreads_AreBitIdentical()
    {
        // 512 x 384 → a 256 x 192 grid: every stage has enough cells, vertices and pixels to be split.
        const int width = 512, height = 384;
        var (rgb, similarity, _) = NoisyTwoRegions(width, height, 203, 9, seed: 4);
        CrfImage image = CrfImage.Build(rgb, width, height, Pinned.BilateralSpatial, Pinned.BilateralColor);
        byte[] alone = new byte[width * height], split = new byte[width * height];
        var sequential = new DenseCrfSolver { Sequential = true };
        var parallel = new DenseCrfSolver();

        sequential.Run(image, similarity, width, height, Threshold, Pinned, [new(10, 10)], [new(500, 300)], 3, alone);
        parallel.Run(image, similarity, width, height, Threshold, Pinned, [new(10, 10)], [new(500, 300)], 3, split);

        Assert.Equal(alone, split);
        Assert.Equal(sequential.Probabilities.ToArray(), parallel.Probabilities.ToArray());
    }


    private static SimilaritySegmenter Crf() => new(TestOptions.Unrefined with { Refinement = Refinement.DenseCrf, Crf = Pinned, ComputeSoftMask = false });

    [Fact]
    public void DenseCrf_OffGridEdge_MovesTheMaskEdgeOntoTheColourEdge()
    {
        var (features, guide, truth) = RefinementScenes.OffGridEdge();
        SegmentationResult plain = new SimilaritySegmenter(TestOptions.Unrefined).Segment(features, new PixelPoint(10, 60), 0.5f);
        var refined = new SegmentationResult(features) { Guide = guide };

        Crf().Segment(features, new SegmentationPrompt([new PixelPoint(10, 60)]), 0.5f, refined);

        double before = MaskMetrics.IoU(plain.Mask, truth), after = MaskMetrics.IoU(refined.Mask, truth);
        Assert.True(after > before + 0.02 && after > 0.98, $"IoU {before:0.000} → {after:0.000}");
        Assert.Equal(refined.Mask.ToArray().Count(v => v != 0), refined.SelectedPixels);
    }

    [Fact]
    public void DenseCrf_GreyGuide_ThrowsBeforeAnyWork()
    {
        RefinementScenes.AssertGreyGuideThrowsBeforeAnyWork(Crf());
    }

    [Fact]
    public void DenseCrf_SliderAndAutoThreshold_RefineTheFinalMaskLikeAFreshClick()
    {
        RefinementScenes.AssertSliderAndAutoRefineLikeAFreshClick(Crf());
    }

    [Fact]
    public void DenseCrf_Box_KeepsItsLimit()
    {
        var (features, guide, _) = RefinementScenes.OffGridEdge();
        var boxed = new SegmentationResult(features) { Guide = guide };
        Crf().Segment(features, new SegmentationPrompt(new PixelRect(0, 0, 40, 128)), 0.4f, boxed);

        // The box limit (40 + 10 % → x < 44) still holds: excluded pixels stay out.
        Assert.True(boxed.SelectedPixels > 0);
        for (int y = 0; y < 128; y++) Assert.All(boxed.Mask.Slice(y * 128 + 44, 128 - 44).ToArray(), v => Assert.Equal(0, v));
    }

    [Fact]
    public void DenseCrf_ReusedResult_AllocatesNothing()
    {
        Assert.Equal(0, RefinementScenes.AllocatedByWarmClicks(Crf()));
    }

    [Fact]
    public void DenseCrf_ConcurrentClicksSharingOneGuide_AreBitIdenticalToASequentialClick()
    {
        var (features, guide, _) = RefinementScenes.OffGridEdge();
        SimilaritySegmenter segmenter = Crf();
        PixelPoint[] seeds = [new(10, 60)];
        using Image<Rgb24> copy = Image.LoadPixelData<Rgb24>(guide.Rgb, guide.Width, guide.Height);
        var sequential = new SegmentationResult(features) { Guide = RefinementGuide.FromImage(copy) };
        sequential.Pipeline.SequentialCrf = true;
        segmenter.Segment(features, new SegmentationPrompt(seeds), 0.5f, sequential);
        byte[] expected = sequential.Mask.ToArray();

        var masks = new byte[8][];
        System.Threading.Tasks.Parallel.For(0, masks.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var result = new SegmentationResult(features) { Guide = guide }; // the lattice is built by whichever thread comes first
            segmenter.Segment(features, new SegmentationPrompt(seeds), 0.5f, result);
            masks[i] = result.Mask.ToArray();
        });

        Assert.All(masks, mask => Assert.Equal(expected, mask));
    }

    [Fact]
    public void CrfOptions_BadValues_AreRejectedBySegmenter()
    {
        Assert.Throws<ArgumentOutOfRangeException>("Temperature", () => new SimilaritySegmenter(SegmentationOptions.Default with { Crf = CrfOptions.Default with { Temperature = 0 } }));
        Assert.Throws<ArgumentOutOfRangeException>("BilateralSpatial", () => new SimilaritySegmenter(SegmentationOptions.Default with { Crf = CrfOptions.Default with { BilateralSpatial = 1000 } }));
        Assert.Throws<ArgumentOutOfRangeException>("Iterations", () => new SimilaritySegmenter(SegmentationOptions.Default with { Crf = CrfOptions.Default with { Iterations = 0 } }));
        Assert.Throws<ArgumentNullException>(() => new SimilaritySegmenter(SegmentationOptions.Default with { Crf = null! }));
    }
}
