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
    public static int Run(SegmentArguments args, TextWriter stdout)
    {
        var clock = Stopwatch.StartNew();
        using Image<Rgb24> image = ImageDecoder.Load(args.ImagePath);
        double decodeMs = Lap(clock);
        CheckInside("--seed", args.Seeds, image);
        CheckInside("--negative", args.Negatives, image);
        if (args.Box is PixelRect box && !box.FitsIn(image.Width, image.Height))
        {
            throw new UsageException($"--box {box} does not fit the {image.Width}x{image.Height} image (0 ≤ X0 < X1 ≤ {image.Width}, 0 ≤ Y0 < Y1 ≤ {image.Height})");
        }

        // With --features the backbone never runs: the file stands in for the extraction.
        using IFeatureExtractor? extractor = args.FeaturesPath is null ? ModelArguments.CreateExtractor(args.Backbone, args.ModelPath, args.Device, args.Scales) : null;
        // A multi-scale extractor runs its scales on one device: report the first's.
        var onnx = (extractor as OnnxFeatureExtractor) ?? (extractor as MultiScaleExtractor)?.Scales[0] as OnnxFeatureExtractor;
        double loadMs = Lap(clock);
        PatchFeatures features = extractor?.Extract(image) ?? FeatureFile.Load(args.FeaturesPath!, new FeatureExpectations
        {
            Backbone = args.Backbone == "default" ? null : new ModelArguments { Backbone = args.Backbone }.Preset.Name,
            ImageSize = (image.Width, image.Height),
        });
        double extractMs = Lap(clock);
        string device = onnx?.Device.ToString().ToLowerInvariant() ?? "none";

        var options = SegmentationOptions.Default with
        {
            KeepSeedRegionsOnly = args.KeepSeedRegions,
            MinRegionArea = args.MinArea,
            FillHolesArea = args.FillHoles,
            SmoothRadius = args.Smooth,
        };
        if (args.Sigma is { } sigma) options = options with { SimilaritySigma = sigma };
        if (args.BoxMargin is { } margin) options = options with { BoxMargin = margin };
        options = options with { Refinement = args.Refinement };
        if (args.Propagation is { } propagation) options = options with { Propagation = propagation };
        var segmenter = new SimilaritySegmenter(options);
        var result = new SegmentationResult(features) { Guide = args.Refinement != Refinement.None ? RefinementGuide.FromImage(image) : null };
        // No --threshold means auto: on the evaluation set it beats every backbone default (docs/quality.md).
        if (args.Threshold is { } fixedThreshold) segmenter.Segment(features, [.. args.Seeds], [.. args.Negatives], args.Box, fixedThreshold, result);
        else segmenter.SegmentAuto(features, [.. args.Seeds], [.. args.Negatives], args.Box, args.Rule, result);
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
                thresholdRule = result.AutoRule is { } rule ? EvalCommand.RuleName(rule) : null,
                refinement = SegmentArguments.RefinementName(args.Refinement),
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
            string how = result.AutoRule is { } r ? $" (auto, {EvalCommand.RuleName(r)})" : "";
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

    private static void CheckInside(string option, IEnumerable<PixelPoint> points, Image<Rgb24> image)
    {
        foreach (PixelPoint p in points)
        {
            if (p.X < 0 || p.Y < 0 || p.X >= image.Width || p.Y >= image.Height)
            {
                throw new UsageException($"{option} {p} lies outside the {image.Width}x{image.Height} image (0 ≤ x < {image.Width}, 0 ≤ y < {image.Height})");
            }
        }
    }

    private static int[]? Corners(PixelRect? r) => r is PixelRect b ? [b.X0, b.Y0, b.X1, b.Y1] : null;

    private static string Describe(SegmentArguments args)
    {
        var parts = new List<string>();
        if (args.Seeds.Count > 0) parts.Add($"seeds {string.Join(" ", args.Seeds)}");
        if (args.Negatives.Count > 0) parts.Add($"negatives {string.Join(" ", args.Negatives)}");
        if (args.Box is PixelRect box) parts.Add($"box {box}");
        if (args.KeepSeedRegions) parts.Add("seed regions only");
        if (args.MinArea > 1) parts.Add($"regions of at least {args.MinArea} px");
        if (args.FillHoles > 0) parts.Add($"holes up to {args.FillHoles} px filled");
        if (args.Smooth > 0) parts.Add($"outline smoothed (radius {args.Smooth} px)");
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
