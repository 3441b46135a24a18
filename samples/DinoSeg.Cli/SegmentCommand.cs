using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using DinoSeg.Masks;
using DinoSeg.Rendering;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Cli;

/// <summary><c>dinoseg segment</c>: decode, extract, segment, write the views.</summary>
internal static class SegmentCommand
{
    public static CliCommand Create()
    {
        var command = new CliCommand("segment",
            "segment an image from seed pixels and write the mask and views as PNGs",
            "Segments IMAGE from the prompt (seed pixels, negative seeds, a box) and writes mask.png, soft-mask.png, similarity.png, " +
            "overlay.png, cutout.png and panel.png into DIR (and the --format exports).",
            """
            dinoseg segment samples/images/chelsea.png --seed 172,115 --out out
            dinoseg segment samples/images/chelsea.png --seed 172,115 --negative 318,137 --keep-seed-regions --out out
            dinoseg segment samples/images/coffee.png --box 205,95,370,195 --min-area 200 --out out
            dinoseg segment samples/images/chelsea.png --seed 172,115 --fill-holes 500 --format png,coco,yolo --out out
            dinoseg segment photo.jpg --seed 320,240 --backbone dinov3 --model dinov3_vitl16.onnx --threshold 0.4 --out out --json
            """);
        var image = new Argument<string>("IMAGE") { Description = $"{ImageDecoder.FormatNames} file" };
        command.Arguments.Add(image);
        var prompt = new PromptOptions(command, "seed pixel of the original image (repeat for several; similarities combine by max)");
        var mask = new MaskOptions(command);
        var features = new Option<string?>("--features")
        {
            Description = "features saved by 'dinoseg features' for this image: skips the backbone (a dinov3/dinov2 --backbone, if given, must match the file; --model is then not needed)",
            HelpName = "F",
        };
        command.Options.Add(features);
        var model = new ModelOptions(command, modelOptional: result => result.Given(features));
        var formats = new Option<OutputFormats>("--format")
        {
            Description = "what to write, comma-separated or repeated (default png): png (the six views above), rle (mask.rle.json: COCO RLE, " +
                "uncompressed counts), coco (coco.json: a COCO instances file, compressed RLE), polygons (mask.geojson: outer rings and holes), " +
                "svg (mask.svg), yolo (mask.yolo.txt: YOLO-seg lines, class 0), all (every one); see docs/exports.md",
            HelpName = "png|rle|coco|polygons|svg|yolo|all",
            Arity = ArgumentArity.OneOrMore,
            CustomParser = ParseFormats,
        };
        formats.CompletionSources.Add(FormatNames.Select(f => f.Name).ToArray());
        var tolerance = new Option<double?>("--polygon-tolerance") { Description = "simplification of polygons, svg and yolo (Douglas-Peucker, default 1; 0: exact)", HelpName = "PX" };
        var output = new Option<string>("--out") { Description = "output folder (created if missing)", HelpName = "DIR", Required = true };
        var json = CliOptions.Json("print one JSON object with sizes, device, threshold, area and timings on stdout");
        command.Options.Add(formats);
        command.Options.Add(tolerance);
        command.Options.Add(output);
        command.Options.Add(json);
        command.Validators.Add(result =>
        {
            if (result.Given(tolerance) && (result.GetValue(formats) & (OutputFormats.Polygons | OutputFormats.Svg | OutputFormats.Yolo)) == 0)
            {
                result.AddError("--polygon-tolerance needs --format polygons, svg, yolo or all");
            }

            if (result.Given(mask.Scales) && result.Given(features)) result.AddError("--scales cannot be used with --features (the file holds features of one extraction)");
        });
        command.SetRun(parse => Run(new SegmentArguments
        {
            ImagePath = parse.GetValue(image)!,
            Seeds = parse.GetValue(prompt.Seeds) ?? [],
            Negatives = parse.GetValue(prompt.Negatives!) ?? [],
            Box = parse.GetValue(prompt.Box!),
            BoxMargin = parse.GetValue(prompt.BoxMargin!),
            Options = mask.Apply(parse, SegmentationOptions.Default),
            Threshold = mask.FixedThreshold(parse),
            Scales = mask.ScalesValue(parse),
            Model = model.Read(parse),
            FeaturesPath = parse.GetValue(features),
            Formats = parse.GetValue(formats) is var f and not OutputFormats.None ? f : OutputFormats.Png,
            PolygonTolerance = parse.GetValue(tolerance) ?? SegmentArguments.DefaultPolygonTolerance,
            OutputDirectory = parse.GetValue(output)!,
            Json = parse.GetValue(json),
        }, Console.Out));
        return command;
    }

    private static readonly (string Name, OutputFormats Value)[] FormatNames =
    [
        ("png", OutputFormats.Png), ("rle", OutputFormats.Rle), ("coco", OutputFormats.Coco), ("polygons", OutputFormats.Polygons),
        ("svg", OutputFormats.Svg), ("yolo", OutputFormats.Yolo), ("all", OutputFormats.All),
    ];

    /// <summary>--format: every occurrence, each one or more comma-separated names.</summary>
    private static OutputFormats ParseFormats(System.CommandLine.Parsing.ArgumentResult result)
    {
        var formats = OutputFormats.None;
        foreach (string name in result.Tokens.SelectMany(t => t.Value.Split(',')))
        {
            int index = Array.FindIndex(FormatNames, f => f.Name == name);
            if (index >= 0) formats |= FormatNames[index].Value;
            else result.AddError($"--format takes png, rle, coco, polygons, svg, yolo or all (comma-separated), not '{name}'");
        }

        return formats;
    }

    /// <summary>Which option set each library parameter that the click checks.</summary>
    private static Dictionary<string, string> ClickNames(SegmentArguments args, Exception? e = null) => new()
    {
        ["threshold"] = "--threshold",
        ["prompt.Box"] = "--box",
        ["prompt"] = "--seed", // neither a seed nor a box
        // A seed outside the image: the library names the point, the command line knows which list it came from.
        ["point"] = e is ArgumentOutOfRangeException { ActualValue: PixelPoint p } && !args.Seeds.Contains(p) ? "--negative" : "--seed",
    };

    private static SegmentationPrompt Prompt(SegmentArguments args) => new(args.Seeds.ToArray(), args.Negatives.ToArray(), args.Box);

    /// <summary>Runs a check or click, reporting the library's refusal of a prompt or threshold as the option that set it.</summary>
    private static void CheckClick(SegmentArguments args, Action click)
    {
        try
        {
            click();
        }
        catch (ArgumentException e) when (e.ParamName is { } name && ClickNames(args, e).TryGetValue(name, out string? option))
        {
            throw LibraryCheck.Usage(option, e);
        }
    }

    public static int Run(SegmentArguments args, TextWriter stdout)
    {
        // The options are checked by the library before any work, so a bad value fails at once.
        SegmentationOptions options = args.Options;
        if (args.BoxMargin is { } margin) options = options with { BoxMargin = margin };
        var segmenter = LibraryCheck.Run(() => new SimilaritySegmenter(options), MaskOptions.LibraryNames);
        // The tolerance is checked where the polygons are traced, after the views are written: trace an empty 1x1 mask first.
        LibraryCheck.Run(() => MaskContours.Trace([0], 1, 1, args.PolygonTolerance), new Dictionary<string, string> { ["tolerance"] = "--polygon-tolerance" });
        var clock = Stopwatch.StartNew();
        using Image<Rgb24> image = ImageDecoder.Load(args.ImagePath);
        double decodeMs = Lap(clock);
        // The click's own checks (seeds and box inside the image, the threshold's range) before the backbone runs.
        CheckClick(args, () => SimilaritySegmenter.Validate(Prompt(args), image.Width, image.Height, args.Threshold));

        // With --features the backbone never runs: the file stands in for the extraction.
        using IFeatureExtractor? extractor = args.FeaturesPath is null ? args.Model.CreateExtractor(args.Scales) : null;
        // A multi-scale extractor runs its scales on one device: report the first's.
        var onnx = (extractor as OnnxFeatureExtractor) ?? (extractor as MultiScaleExtractor)?.Scales[0] as OnnxFeatureExtractor;
        double loadMs = Lap(clock);
        PatchFeatures features = extractor?.Extract(image) ?? FeatureFile.Load(args.FeaturesPath!, new FeatureExpectations
        {
            Backbone = args.Model.Backbone == "default" ? null : args.Model.Preset.Name,
            ImageSize = (image.Width, image.Height),
        });
        double extractMs = Lap(clock);
        string device = onnx?.Device.ToString().ToLowerInvariant() ?? "none";

        if (options.Refinement != Refinement.None) features.Guide = RefinementGuide.FromImage(image);
        var result = new SegmentationResult(features);
        CheckClick(args, () =>
        {
            // No --threshold means auto: on the evaluation set it beats every backbone default (docs/quality.md).
            if (args.Threshold is { } fixedThreshold) segmenter.Segment(features, Prompt(args), fixedThreshold, result);
            else segmenter.SegmentAuto(features, Prompt(args), options.ThresholdRule, result);
        });
        double segmentMs = Lap(clock);

        RemoveStaleTemporaries(args.OutputDirectory);
        var written = new List<string>();
        if (args.Formats.HasFlag(OutputFormats.Png)) written.AddRange(ViewWriter.SaveAll(image, result, args.OutputDirectory));
        written.AddRange(WriteExports(args, result));
        double writeMs = Lap(clock);

        if (args.Json)
        {
            var report = new
            {
                image = new { path = args.ImagePath, width = image.Width, height = image.Height },
                grid = new { rows = features.Rows, cols = features.Cols },
                workingSize = new { width = features.WorkingWidth, height = features.WorkingHeight },
                patchSize = features.PatchSize,
                dim = features.Dim,
                backbone = features.Backbone,
                device,
                deviceReason = onnx?.DeviceReason ?? $"features loaded from {args.FeaturesPath}",
                onnxRuntime = OnnxRuntimeLibrary.Description,
                seeds = args.Seeds.Select(s => new[] { s.X, s.Y }),
                negatives = args.Negatives.Select(s => new[] { s.X, s.Y }),
                box = Corners(result.Box),
                boxLimit = Corners(result.BoxLimit),
                boxMargin = result.Box is null ? (double?)null : options.BoxMargin,
                keepSeedRegions = options.KeepSeedRegionsOnly,
                minRegionArea = options.MinRegionArea,
                fillHolesArea = options.FillHolesArea,
                smoothRadius = options.SmoothRadius,
                threshold = result.Threshold,
                thresholdRule = result.AutoRule is { } rule ? Names.Name(Names.Rules, rule) : null,
                refinement = Names.Name(Names.Refinements, options.Refinement),
                propagation = options.Propagation == Propagation.Graph ? "graph" : "none",
                similaritySigma = options.SimilaritySigma,
                scales = args.Scales,
                featherSigma = options.FeatherSigma,
                maskAreaFraction = Math.Round(result.AreaFraction, 6),
                timingsMs = new { decode = decodeMs, load = loadMs, extract = extractMs, segment = segmentMs, write = writeMs },
                outputs = written,
            };
            stdout.WriteLine(JsonSerializer.Serialize(report));
        }
        else
        {
            stdout.WriteLine($"{args.ImagePath}: {image.Width}x{image.Height}, grid {features.Rows}x{features.Cols}, {features.Backbone} on {device}");
            stdout.WriteLine($"prompt: {Describe(args)}");
            string how = result.AutoRule is { } r ? $" (auto, {Names.Name(Names.Rules, r)})" : "";
            stdout.WriteLine($"threshold {result.Threshold:0.###}{how}: {result.AreaFraction:P1} of the image selected");
            stdout.WriteLine($"timings: decode {decodeMs:0} ms, extract {extractMs:0} ms, segment {segmentMs:0.0} ms");
            stdout.WriteLine($"wrote {string.Join(", ", written.Select(Path.GetFileName))} to {args.OutputDirectory}");
        }

        return ExitCodes.Ok;
    }

    /// <summary>The export files that <c>--format</c> asks for, in the order of <see cref="ExportFileNames"/>.</summary>
    public static IReadOnlyList<string> ExportFileNames { get; } = ["mask.rle.json", "coco.json", "mask.geojson", "mask.svg", "mask.yolo.txt"];

    /// <summary>Writes the non-PNG formats, each atomically; returns their full paths.</summary>
    private static List<string> WriteExports(SegmentArguments args, SegmentationResult result)
    {
        var written = new List<string>();
        string root = Path.GetFullPath(args.OutputDirectory);
        void Write(string name, string text)
        {
            string path = Path.Combine(root, name);
            AtomicFile.Write(path, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(text)));
            written.Add(path);
        }

        OutputFormats formats = args.Formats;
        if ((formats & (OutputFormats.Rle | OutputFormats.Coco)) != 0)
        {
            CocoRle rle = CocoRle.Encode(result);
            if (formats.HasFlag(OutputFormats.Rle)) Write(ExportFileNames[0], rle.ToJson(compressed: false));
            if (formats.HasFlag(OutputFormats.Coco)) Write(ExportFileNames[1], rle.ToCocoDocument(Path.GetFileName(args.ImagePath)));
        }

        if ((formats & (OutputFormats.Polygons | OutputFormats.Svg | OutputFormats.Yolo)) != 0)
        {
            IReadOnlyList<MaskPolygon> polygons = MaskContours.Trace(result, args.PolygonTolerance);
            if (formats.HasFlag(OutputFormats.Polygons)) Write(ExportFileNames[2], PolygonFormats.ToGeoJson(polygons, result.Width, result.Height));
            if (formats.HasFlag(OutputFormats.Svg)) Write(ExportFileNames[3], PolygonFormats.ToSvg(polygons, result.Width, result.Height));
            if (formats.HasFlag(OutputFormats.Yolo)) Write(ExportFileNames[4], PolygonFormats.ToYoloLines(polygons, result.Width, result.Height));
        }

        return written;
    }

    private static int[]? Corners(PixelRect? r) => r is PixelRect b ? [b.X0, b.Y0, b.X1, b.Y1] : null;

    private static string Describe(SegmentArguments args)
    {
        var parts = new List<string>();
        if (args.Seeds.Count > 0) parts.Add($"seeds {string.Join(" ", args.Seeds)}");
        if (args.Negatives.Count > 0) parts.Add($"negatives {string.Join(" ", args.Negatives)}");
        if (args.Box is PixelRect box) parts.Add($"box {box}");
        if (args.Options.KeepSeedRegionsOnly) parts.Add("seed regions only");
        if (args.Options.MinRegionArea > 1) parts.Add($"regions of at least {args.Options.MinRegionArea} px");
        if (args.Options.FillHolesArea > 0) parts.Add($"holes up to {args.Options.FillHolesArea} px filled");
        if (args.Options.SmoothRadius > 0) parts.Add($"outline smoothed (radius {args.Options.SmoothRadius} px)");
        return string.Join(", ", parts);
    }

    private static double Lap(Stopwatch clock)
    {
        double ms = Math.Round(clock.Elapsed.TotalMilliseconds, 2);
        clock.Restart();
        return ms;
    }

    /// <summary>
    /// Deletes the hidden temporary files (<c>.mask.png.GUID.tmp</c>, …) that a killed earlier run left beside the six views:
    /// never read, and otherwise never cleaned. Only names of this command's own views are touched.
    /// </summary>
    private static void RemoveStaleTemporaries(string directory)
    {
        if (!Directory.Exists(directory)) return;
        foreach (string view in ViewWriter.FileNames.Concat(ExportFileNames))
        {
            foreach (string stale in Directory.EnumerateFiles(directory, $".{view}.*.tmp"))
            {
                try
                {
                    File.Delete(stale);
                }
                catch (IOException)
                {
                    // In use or gone already: harmless, it is hidden and never read.
                }
            }
        }
    }
}

/// <summary>The parsed <c>dinoseg segment</c> command line.</summary>
internal sealed record SegmentArguments
{
    public required string ImagePath { get; init; }

    public required IReadOnlyList<PixelPoint> Seeds { get; init; }

    public IReadOnlyList<PixelPoint> Negatives { get; init; } = [];

    public PixelRect? Box { get; init; }

    /// <summary>--box-margin, or null for the library's default.</summary>
    public double? BoxMargin { get; init; }

    /// <summary>The library's options as the mask options set them (all but --box-margin).</summary>
    public required SegmentationOptions Options { get; init; }

    /// <summary>A fixed --threshold; null for auto (the default), with the rule in <see cref="Options"/>.</summary>
    public float? Threshold { get; init; }

    /// <summary>Long sides to extract at and fuse (--scales); empty for the backbone's one working size.</summary>
    public int[] Scales { get; init; } = [];

    public required ModelArguments Model { get; init; }

    /// <summary>A feature file (dinoseg features) to use instead of running the backbone.</summary>
    public string? FeaturesPath { get; init; }

    /// <summary>--format: what to write (default: the PNG views only).</summary>
    public OutputFormats Formats { get; init; } = OutputFormats.Png;

    /// <summary>--polygon-tolerance: Douglas–Peucker tolerance of the polygon, SVG and YOLO outputs, in pixels.</summary>
    public double PolygonTolerance { get; init; } = DefaultPolygonTolerance;

    public const double DefaultPolygonTolerance = 1;

    public required string OutputDirectory { get; init; }

    public bool Json { get; init; }
}

/// <summary>The outputs of <c>dinoseg segment --format</c>.</summary>
[Flags]
internal enum OutputFormats
{
    None = 0,

    /// <summary>The six PNG views (the default).</summary>
    Png = 1,

    /// <summary>mask.rle.json: COCO RLE with uncompressed counts.</summary>
    Rle = 2,

    /// <summary>coco.json: a COCO instances document, compressed RLE.</summary>
    Coco = 4,

    /// <summary>mask.geojson: the polygons with holes.</summary>
    Polygons = 8,

    /// <summary>mask.svg: the polygons as an SVG path.</summary>
    Svg = 16,

    /// <summary>mask.yolo.txt: YOLO segmentation lines.</summary>
    Yolo = 32,

    All = Png | Rle | Coco | Polygons | Svg | Yolo,
}
