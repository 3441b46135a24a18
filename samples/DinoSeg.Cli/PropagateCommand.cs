using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Cli;

/// <summary><c>dinoseg propagate</c>: segment the first frame from seeds, then propagate the mask frame to frame.</summary>
internal static class PropagateCommand
{
    public static CliCommand Create()
    {
        var command = new CliCommand("propagate",
            "segment the first frame of a folder from seeds, then carry the mask from frame to frame",
            "Video or burst segmentation. The frames are the images directly in FRAMES_DIR, in ordinal file-name order (name them " +
            "frame0001.png, frame0002.png, …). The first frame is segmented from the seeds like 'dinoseg segment'; every later frame gets " +
            "the previous frame's soft patch labels by propagation: each of its patches takes the softmax-weighted vote of its K most " +
            "similar patches of the previous frame within R patches of its position, and the votes are upsampled, smoothed and " +
            "thresholded at 0.5. Writes DIR/<frame name>.png, an 8-bit 0/255 mask per frame.",
            """
            dinoseg propagate clips/cat --seed 172,115 --out masks/cat
            dinoseg propagate frames --seed 320,240 --seed 300,260 --top-k 10 --radius 6 --out masks --json
            """);
        var folder = new Argument<string>("FRAMES_DIR") { Description = $"folder of frames ({ImageDecoder.FormatNames})" };
        command.Arguments.Add(folder);
        var prompt = new PromptOptions(command, "seed pixel in the first frame (repeat for several)", seedsOnly: true);
        prompt.Seeds.Required = true;
        var output = new Option<string>("--out") { Description = "output folder (created if missing)", HelpName = "DIR", Required = true };
        var threshold = CliOptions.Threshold("threshold for the first frame in [-1, 1], or auto (the default): the library's rule, as dinoseg segment");
        var topK = new Option<int?>("--top-k") { Description = $"votes per patch, 1–{PropagationOptions.MaxTopK} (default 5)", HelpName = "K" };
        var temperature = new Option<float?>("--temperature") { Description = "softmax temperature of the votes (default 0.1; larger = more equal votes)", HelpName = "T" };
        var radius = CliOptions.Parsed<Radius>("--radius", "search radius in patches around each patch's position (default 12; 'all' = whole frame)",
            "R|all", "a whole number of patches or 'all'", text => text == "all" ? new Radius(null)
                : int.TryParse(text, CultureInfo.InvariantCulture, out int r) ? new Radius(r) : null);
        foreach (Option option in new Option[] { output, threshold, topK, temperature, radius }) command.Options.Add(option);
        var model = new ModelOptions(command);
        var json = CliOptions.Json("print one JSON object (frames with area fraction, timings) on stdout");
        command.Options.Add(json);
        command.SetRun(parse =>
        {
            var defaults = PropagationOptions.Default;
            var options = defaults with
            {
                TopK = parse.GetValue(topK) ?? defaults.TopK,
                Temperature = parse.GetValue(temperature) ?? defaults.Temperature,
                Radius = parse.GetValue(radius) is { } r ? r.Patches : defaults.Radius,
            };
            return Run(parse.GetValue(folder)!, parse.GetValue(prompt.Seeds)!, parse.GetValue(output)!, parse.GetValue(threshold)?.Value, options,
                model.Read(parse), parse.GetValue(json), Console.Out);
        });
        return command;
    }

    /// <summary>A --radius: whole patches, or null for 'all' (the whole frame).</summary>
    private readonly record struct Radius(int? Patches);

    private static readonly Dictionary<string, string> PropagationNames = new()
    {
        [nameof(PropagationOptions.TopK)] = "--top-k",
        [nameof(PropagationOptions.Temperature)] = "--temperature",
        [nameof(PropagationOptions.Radius)] = "--radius",
    };

    private static readonly Dictionary<string, string> FirstFrameNames = new() { ["point"] = "--seed", ["threshold"] = "--threshold" };

    /// <param name="threshold">The first frame's fixed threshold; null for the library's rule (absent or "auto").</param>
    public static int Run(string folder, List<PixelPoint> seeds, string output, float? threshold, PropagationOptions options, ModelArguments model,
        bool json, TextWriter stdout)
    {
        var propagator = LibraryCheck.Run(() => new MaskPropagator(options), PropagationNames);
        IReadOnlyList<string> frames = ImageFolder.List(folder);

        using OnnxFeatureExtractor extractor = model.CreateExtractor();
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
                features.Guide = RefinementGuide.FromImage(image); // the first frame's default refinement (the CRF) reads the colours
                SegmentationResult first = LibraryCheck.Run(
                    () => threshold is { } t ? segmenter.Segment(features, new SegmentationPrompt([.. seeds]), t) : segmenter.SegmentAuto(features, new SegmentationPrompt([.. seeds])), FirstFrameNames);
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
                thresholdRule = threshold is null ? Names.Name(Names.Rules, segmenter.Options.ThresholdRule) : null,
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
