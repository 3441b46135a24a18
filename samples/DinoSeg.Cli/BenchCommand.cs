using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Cli;

/// <summary>
/// <c>dinoseg bench</c>: times the per-click path on random unit features of a given size, with the features evicted
/// from the CPU caches before every click (the state they are in when a user clicks after a pause).
/// </summary>
internal static class BenchCommand
{
    public static CliCommand Create()
    {
        var command = new CliCommand("bench",
            "time the per-click path on random features of a given size",
            "Times the per-click path on random L2-normalised features (patch 16) with the features evicted from the CPU caches before each " +
            "click. Reports p50/p90 of a plain click (Refinement.None: similarity → upsample/smooth → threshold → mask), a threshold change alone (a slider move " +
            "from 0.1 to 0.15–0.25, and the worst case 0.1 → −1 that re-thresholds nearly the whole map), each right after a click, per-stage times, " +
            "and the default click and slider move, which add the CRF refinement (on an image coloured patch by patch from the features).",
            """
            dinoseg bench
            dinoseg bench --size 3840x2160 --dim 1024 --sigma 4 --clicks 50 --json
            """);
        // The bench's own sizes (no library limit applies to random features): kept small enough to allocate.
        var size = CliOptions.Parsed<(int Width, int Height)>("--size", "image size (default 1024x1024; 3840x2160 for 4K)", "WxH",
            "WxH with both sides ≥ 16 and at most 100 megapixels", text => text.Split('x') is [var w, var h]
                && int.TryParse(w, CultureInfo.InvariantCulture, out int width) && int.TryParse(h, CultureInfo.InvariantCulture, out int height)
                && width >= 16 && height >= 16 && (long)width * height <= 100_000_000 ? (width, height) : null);
        var dim = CliOptions.Parsed<int>("--dim", "feature length (DINOv3 ViT-L: 1024)", "D", "a whole number in [1, 8192]", text => Positive(text, 8192));
        dim.DefaultValueFactory = _ => 1024;
        var sigma = new Option<double>("--sigma") { Description = "similarity smoothing σ in pixels", HelpName = "S", DefaultValueFactory = _ => 4 };
        var feather = new Option<double>("--feather") { Description = "soft-mask σ in pixels", HelpName = "S", DefaultValueFactory = _ => 2 };
        var clicks = CliOptions.Parsed<int>("--clicks", "timed clicks", "N", "a whole number in [1, 100000]", text => Positive(text, 100_000));
        clicks.DefaultValueFactory = _ => 50;
        var json = CliOptions.Json("one JSON object on stdout");
        foreach (Option option in new Option[] { size, dim, sigma, feather, clicks, json }) command.Options.Add(option);
        command.SetRun(parse => Run(parse.GetValue(size) ?? (1024, 1024), parse.GetValue(dim)!.Value, parse.GetValue(sigma), parse.GetValue(feather),
            parse.GetValue(clicks)!.Value, parse.GetValue(json), Console.Out));
        return command;
    }

    private static int? Positive(string text, int max) =>
        int.TryParse(text, CultureInfo.InvariantCulture, out int v) && v > 0 && v <= max ? v : null;

    public static int Run((int Width, int Height) size, int dim, double sigma, double feather, int clicks, bool json, TextWriter stdout)
    {
        var (width, height) = size;
        // The plain click, named explicitly: the default refines with the CRF, timed apart below.
        var options = LibraryCheck.Run(
            () => new SimilaritySegmenter(SegmentationOptions.Default with { SimilaritySigma = sigma, FeatherSigma = feather, Refinement = Refinement.None }),
            new Dictionary<string, string> { [nameof(SegmentationOptions.SimilaritySigma)] = "--sigma", [nameof(SegmentationOptions.FeatherSigma)] = "--feather" }).Options;
        PatchFeatures features = RandomFeatures(width, height, dim);
        var segmenter = new SimilaritySegmenter(options);
        var result = new SegmentationResult(features);
        var random = new Random(7);
        PixelPoint[] seed = new PixelPoint[1];
        var evictor = new CacheEvictor(features.Vectors.Length * sizeof(float));

        // Warm-up: JIT, cached weights, worker threads.
        for (int i = 0; i < 5; i++)
        {
            seed[0] = new PixelPoint(random.Next(width), random.Next(height));
            segmenter.Segment(features, new SegmentationPrompt(seed), 0.1f, result);
            _ = result.GetSoftMask();
        }

        var click = new double[clicks];
        var rethreshold = new double[clicks];
        var wholeMap = new double[clicks];
        var softMask = new double[clicks];
        var similarityOnly = new double[clicks];
        var readBound = new double[clicks];
        var scratch = new float[features.PatchCount];
        long allocatedBefore = 0;
        // Round −1 is a rehearsal whose times round 0 overwrites: the first call of a step (the evictor, the reference dot
        // product, the whole-map slider move) may allocate once, in the runtime or TensorPrimitives, which is no click's doing.
        for (int round = -1; round < clicks; round++)
        {
            int i = Math.Max(round, 0);
            if (round == 0) allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            seed[0] = new PixelPoint(random.Next(width), random.Next(height));
            evictor.Evict();
            long t0 = Stopwatch.GetTimestamp();
            segmenter.Segment(features, new SegmentationPrompt(seed), 0.1f, result);
            click[i] = Ms(t0);

            // A slider move: 0.1 → 0.15, 0.2 or 0.25 (only blocks holding a value in between are rewritten).
            t0 = Stopwatch.GetTimestamp();
            segmenter.Rethreshold(result, 0.1f + 0.05f * (1 + i % 3));
            rethreshold[i] = Ms(t0);

            t0 = Stopwatch.GetTimestamp();
            _ = result.GetSoftMask();
            softMask[i] = Ms(t0);

            // The slider's worst case, again right after a click: 0.1 → −1 reaches into every block but the seed's peak, so
            // nearly the whole map is re-thresholded.
            evictor.Evict();
            segmenter.Segment(features, new SegmentationPrompt(seed), 0.1f, result);
            t0 = Stopwatch.GetTimestamp();
            segmenter.Rethreshold(result, -1f);
            wholeMap[i] = Ms(t0);

            // The seed dot product alone, one thread, features out of cache (one TensorPrimitives.Dot per patch, as the
            // library's similarity stage runs on each worker): compare with the memory read bound.
            evictor.Evict();
            var (row, col) = features.PatchAt(seed[0]);
            t0 = Stopwatch.GetTimestamp();
            DotEveryPatch(features, features.GetPatch(row, col), scratch);
            similarityOnly[i] = Ms(t0);

            // The memory read bound for that dot product: one streaming pass over the same features, nothing else.
            evictor.Evict();
            t0 = Stopwatch.GetTimestamp();
            _ = TensorPrimitives.Sum(features.Vectors);
            readBound[i] = Ms(t0);
        }

        // Each round made two clicks, three slider moves and a soft mask: everything it allocated is charged to its clicks.
        long allocatedPerClick = (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / (2 * clicks);
        var (defaultClick, defaultSlider) = TimeDefaultClick(features, options with { Refinement = SegmentationOptions.Default.Refinement }, clicks, evictor);
        double featureMiB = features.Vectors.Length * 4.0 / (1 << 20);
        var report = new
        {
            perClickMs = Percentile(click, 0.5),
            perClickP90Ms = Percentile(click, 0.9),
            thresholdChangeMs = Percentile(rethreshold, 0.5),
            refinement = "none",
            defaultRefinement = MaskOptions.DefaultRefinement,
            defaultClickMs = Percentile(defaultClick, 0.5),
            defaultClickP90Ms = Percentile(defaultClick, 0.9),
            defaultThresholdChangeMs = Percentile(defaultSlider, 0.5),
            stagesMs = new
            {
                clickWithoutSoftMask = Percentile(click, 0.5),
                softMask = Percentile(softMask, 0.5),
                thresholdChange = Percentile(rethreshold, 0.5),
                thresholdChangeWholeMap = Percentile(wholeMap, 0.5),
                seedSimilaritySingleThread = Percentile(similarityOnly, 0.5),
                featureReadBoundSingleThread = Percentile(readBound, 0.5),
            },
            featuresMiB = Math.Round(featureMiB, 1),
            allocatedBytesPerClick = allocatedPerClick,
            size = $"{width}x{height}",
            grid = $"{features.Cols}x{features.Rows}",
            dim,
            sigma,
            feather,
            clicks,
            threads = Environment.ProcessorCount,
            cacheState = "features evicted before each click",
        };
        if (json)
        {
            stdout.WriteLine(JsonSerializer.Serialize(report));
        }
        else
        {
            stdout.WriteLine($"{width}x{height} ({features.Cols}x{features.Rows} patches, dim {dim}, {featureMiB:0.#} MiB of features, evicted before each click), σ {sigma}, {Environment.ProcessorCount} threads");
            stdout.WriteLine($"click → mask   p50 {report.perClickMs:0.000} ms   p90 {report.perClickP90Ms:0.000} ms (Refinement.None)");
            stdout.WriteLine($"threshold only p50 {report.thresholdChangeMs:0.000} ms (0.1 → 0.15..0.25); through nearly every block (0.1 → −1) {report.stagesMs.thresholdChangeWholeMap:0.000} ms");
            stdout.WriteLine($"soft mask      p50 {report.stagesMs.softMask:0.000} ms (made by GetSoftMask, not by the click)");
            stdout.WriteLine($"seed dot only  p50 {report.stagesMs.seedSimilaritySingleThread:0.000} ms (one thread; a bare read of the features takes {report.stagesMs.featureReadBoundSingleThread:0.000} ms)");
            stdout.WriteLine($"allocated per click: {allocatedPerClick} bytes (Refinement.None)");
            stdout.WriteLine($"default click  p50 {report.defaultClickMs:0.000} ms   p90 {report.defaultClickP90Ms:0.000} ms; its slider move p50 {report.defaultThresholdChangeMs:0.000} ms (refine {report.defaultRefinement})");
        }

        return ExitCodes.Ok;
    }

    /// <summary>
    /// The default click (the CRF refines every final mask, a slider move included) on the same features, with a guide whose
    /// colours follow them (each patch coloured by its first three components), so the CRF's colour kernel sees regions.
    /// </summary>
    private static (double[] Click, double[] Slider) TimeDefaultClick(PatchFeatures features, SegmentationOptions options, int clicks, CacheEvictor evictor)
    {
        var segmenter = new SimilaritySegmenter(options);
        var result = new SegmentationResult(features) { Guide = PatchColouredGuide(features) };
        var random = new Random(11);
        PixelPoint[] seed = new PixelPoint[1];
        for (int i = 0; i < 3; i++)
        {
            seed[0] = new PixelPoint(random.Next(features.ImageWidth), random.Next(features.ImageHeight));
            segmenter.Segment(features, new SegmentationPrompt(seed), 0.1f, result);
        }

        var click = new double[clicks];
        var slider = new double[clicks];
        for (int i = 0; i < clicks; i++)
        {
            seed[0] = new PixelPoint(random.Next(features.ImageWidth), random.Next(features.ImageHeight));
            evictor.Evict();
            long t0 = Stopwatch.GetTimestamp();
            segmenter.Segment(features, new SegmentationPrompt(seed), 0.1f, result);
            click[i] = Ms(t0);
            t0 = Stopwatch.GetTimestamp();
            segmenter.Rethreshold(result, 0.1f + 0.05f * (1 + i % 3));
            slider[i] = Ms(t0);
        }

        return (click, slider);
    }

    private static RefinementGuide PatchColouredGuide(PatchFeatures features)
    {
        ReadOnlySpan<float> vectors = features.Vectors;
        int dim = features.Dim;
        var pixels = new Rgb24[features.ImageWidth * features.ImageHeight];
        for (int y = 0; y < features.ImageHeight; y++)
        {
            for (int x = 0; x < features.ImageWidth; x++)
            {
                var (r, c) = features.PatchAt(new PixelPoint(x, y));
                int p = (r * features.Cols + c) * dim;
                pixels[y * features.ImageWidth + x] =
                    new Rgb24(Level(vectors[p]), Level(vectors[p + Math.Min(1, dim - 1)]), Level(vectors[p + Math.Min(2, dim - 1)]));
            }
        }

        using Image<Rgb24> image = Image.LoadPixelData<Rgb24>(pixels, features.ImageWidth, features.ImageHeight);
        return RefinementGuide.FromImage(image);

        // Components of unit vectors are small: spread them over the byte range.
        static byte Level(float v) => (byte)Math.Clamp(128 + 4000 * v, 0, 255);
    }

    private static PatchFeatures RandomFeatures(int width, int height, int dim)
    {
        int rows = Math.Max(1, height / 16), cols = Math.Max(1, width / 16);
        var random = new Random(42);
        var raw = new float[rows * cols * dim];
        for (int i = 0; i < raw.Length; i++) raw[i] = (float)(random.NextDouble() * 2 - 1);
        return PatchFeatures.FromVectors(raw, rows, cols, dim, 16, cols * 16, rows * 16, width, height, "random");
    }

    private static void DotEveryPatch(PatchFeatures features, ReadOnlySpan<float> seed, Span<float> destination)
    {
        ReadOnlySpan<float> vectors = features.Vectors;
        for (int p = 0; p < destination.Length; p++) destination[p] = TensorPrimitives.Dot(vectors.Slice(p * seed.Length, seed.Length), seed);
    }

    private static double Ms(long start) => Stopwatch.GetElapsedTime(start).TotalMilliseconds;

    private static double Percentile(double[] values, double p)
    {
        double[] sorted = [.. values.Order()];
        return Math.Round(sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(p * sorted.Length))], 4);
    }

    /// <summary>Streams over a buffer several times the size of the features, so none of them stays in L1–L3.</summary>
    private sealed class CacheEvictor(long featureBytes)
    {
        private readonly float[] _buffer = new float[Math.Max(64L << 20, 2 * featureBytes) / sizeof(float)];

        public void Evict()
        {
            // A full read and write pass: written lines displace the features from every cache level.
            TensorPrimitives.Add(_buffer, 1f, _buffer);
        }
    }
}
