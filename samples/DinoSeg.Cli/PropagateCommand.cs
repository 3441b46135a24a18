using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Cli;

/// <summary><c>dinoseg propagate</c>: segment the first frame from seeds, then propagate the mask frame to frame.</summary>
internal static class PropagateCommand
{
    public const string Usage = $$"""
        usage: dinoseg propagate FRAMES_DIR --seed X,Y [--seed X,Y ...] --out DIR [--threshold T|auto] [--top-k K]
                       [--temperature T] [--radius R|all] [--backbone NAME] [--model PATH.onnx] [--device D] [--json]

        Video or burst segmentation. The frames are the images directly in FRAMES_DIR, in ordinal file-name order
        (name them frame0001.png, frame0002.png, …). The first frame is segmented from the seeds like 'dinoseg segment';
        every later frame gets the previous frame's soft patch labels by propagation: each of its patches takes the
        softmax-weighted vote of its K most similar patches of the previous frame within R patches of its position, and
        the votes are upsampled, smoothed and thresholded at 0.5. Writes DIR/<frame name>.png, an 8-bit 0/255 mask per frame.

          FRAMES_DIR          folder of frames (PNG, JPEG, BMP, GIF, TGA, TIFF, WebP, PBM)
          --seed X,Y          seed pixel in the first frame (repeat for several)
          --out DIR           output folder (created if missing)
          --threshold T|auto  threshold for the first frame in [-1, 1], or auto (the default): the library's rule,
                              as dinoseg segment
          --top-k K           votes per patch, 1–64 (default 5)
          --temperature T     softmax temperature of the votes (default 0.1; larger = more equal votes)
          --radius R|all      search radius in patches around each patch's position (default 12; 'all' = whole frame)
        {{ModelArguments.Help}}
          --json              print one JSON object (frames with area fraction, timings) on stdout

        examples:
          dinoseg propagate clips/cat --seed 172,115 --out masks/cat
          dinoseg propagate frames --seed 320,240 --seed 300,260 --top-k 10 --radius 6 --out masks --json
        """;

    public static int Run(IReadOnlyList<string> args, TextWriter stdout)
    {
        string? folder = null, output = null;
        var seeds = new List<PixelPoint>();
        ThresholdArgument? thresholdArgument = null;
        var options = PropagationOptions.Default;
        var model = new ModelArguments();
        bool json = false;
        for (int i = 0; i < args.Count; i++)
        {
            if (ModelArguments.TryTake(args, ref i, ref model)) continue;
            string arg = args[i];
            switch (arg)
            {
                case "--seed": seeds.Add(ModelArguments.ParsePoint(arg, ModelArguments.Value(args, ref i))); break;
                case "--out": output = ModelArguments.Once(output, arg, ModelArguments.Value(args, ref i)); break;
                case "--threshold": thresholdArgument = ModelArguments.Once(thresholdArgument, arg, ModelArguments.ParseThresholdOrAuto(arg, ModelArguments.Value(args, ref i))); break;
                case "--top-k":
                    string k = ModelArguments.Value(args, ref i);
                    options = options with
                    {
                        TopK = int.TryParse(k, CultureInfo.InvariantCulture, out int topK) && topK is >= 1 and <= PropagationOptions.MaxTopK
                            ? topK : throw new UsageException($"--top-k expects a whole number in [1, {PropagationOptions.MaxTopK}], not '{k}'"),
                    };
                    break;
                case "--temperature":
                    string t = ModelArguments.Value(args, ref i);
                    options = options with
                    {
                        Temperature = float.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out float temperature) && temperature > 0 && float.IsFinite(temperature)
                            ? temperature : throw new UsageException($"--temperature expects a positive number, not '{t}'"),
                    };
                    break;
                case "--radius":
                    string r = ModelArguments.Value(args, ref i);
                    options = options with
                    {
                        Radius = r == "all" ? null
                            : int.TryParse(r, CultureInfo.InvariantCulture, out int radius) && radius >= 0 ? radius
                            : throw new UsageException($"--radius expects a whole number of patches ≥ 0 or 'all', not '{r}'"),
                    };
                    break;
                case "--json": json = true; break;
                default:
                    if (arg.StartsWith('-') && arg.Length > 1) throw new UsageException($"unknown option '{arg}' (see dinoseg propagate --help)");
                    folder = folder is null ? arg : throw new UsageException($"one FRAMES_DIR expected, found '{folder}' and '{arg}'");
                    break;
            }
        }

        if (folder is null) throw new UsageException("missing FRAMES_DIR (see dinoseg propagate --help)");
        if (seeds.Count == 0) throw new UsageException("missing --seed X,Y: the pixel of the first frame to segment from");
        if (output is null) throw new UsageException("missing --out DIR: where to write the masks");
        model = model.Validated();
        float? threshold = thresholdArgument?.Value; // absent or "auto": the library's rule
        IReadOnlyList<string> frames = ImageFolder.List(folder);

        using OnnxFeatureExtractor extractor = model.CreateExtractor();
        var propagator = new MaskPropagator(options);
        var segmenter = new SimilaritySegmenter(SegmentationOptions.Default with { ComputeSoftMask = false });
        var report = new List<object>(frames.Count);
        PatchFeatures? previous = null;
        float? firstThreshold = null; // set by the first frame
        byte[] previousMask = [];
        float[] previousLabels = [];
        var clock = Stopwatch.StartNew();
        foreach (string frame in frames)
        {
            var frameClock = Stopwatch.StartNew();
            using Image<Rgb24> image = ImageDecoder.Load(frame);
            PatchFeatures features = extractor.Extract(image);
            double extractMs = FeaturesCommand.Lap(frameClock);
            int width = image.Width, height = image.Height;
            double area;
            if (previous is null)
            {
                foreach (PixelPoint seed in seeds) ModelArguments.CheckInside(seed, width, height, $"--seed (first frame {Path.GetFileName(frame)})");
                SegmentationResult first = threshold is { } t ? segmenter.Segment(features, [.. seeds], t) : segmenter.SegmentAuto(features, [.. seeds]);
                firstThreshold = first.Threshold;
                previousMask = first.Mask.ToArray();
                previousLabels = new float[features.PatchCount];
                MaskPropagator.PatchLabelsFromMask(previousMask, features.Grid, previousLabels);
                area = first.AreaFraction;
            }
            else
            {
                // Soft patch labels carry over, not the thresholded mask: re-deriving labels from a mask each frame
                // rounds partial patches down and erodes small objects frame after frame.
                PropagationResult moved = propagator.Propagate(previous, previousLabels, features);
                previousMask = moved.Mask.ToArray();
                previousLabels = moved.PatchLabels.ToArray();
                area = moved.AreaFraction;
            }

            double maskMs = FeaturesCommand.Lap(frameClock);
            string path = Path.Combine(output, ImageFolder.OutputStem(frame) + ".png");
            ImageFolder.SaveMask(previousMask, width, height, path);
            previous = features;
            report.Add(new { frame = Path.GetFileName(frame), mask = Path.GetFullPath(path), width, height, maskAreaFraction = Math.Round(area, 6), extractMs, maskMs });
            if (!json) stdout.WriteLine($"{Path.GetFileName(frame)}: {area:P1} selected (extract {extractMs:0} ms, {(report.Count == 1 ? "segment" : "propagate")} {maskMs:0} ms)");
        }

        if (json)
        {
            stdout.WriteLine(JsonSerializer.Serialize(new
            {
                folder,
                backbone = extractor.Backbone.Name,
                device = extractor.Device.ToString().ToLowerInvariant(),
                seeds = seeds.Select(s => new[] { s.X, s.Y }),
                threshold = firstThreshold,
                thresholdRule = threshold is null ? EvalCommand.RuleName(segmenter.Options.ThresholdRule) : null,
                topK = options.TopK,
                temperature = options.Temperature,
                radius = options.Radius,
                frames = report,
                totalMs = Math.Round(clock.Elapsed.TotalMilliseconds, 1),
            }));
        }
        else
        {
            stdout.WriteLine($"wrote {frames.Count} masks to {output}");
        }

        return ExitCodes.Ok;
    }
}
