using System.Diagnostics;
using System.Text.Json;
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
        foreach (PixelPoint seed in args.Seeds)
        {
            if (seed.X < 0 || seed.Y < 0 || seed.X >= image.Width || seed.Y >= image.Height)
            {
                throw new UsageException($"--seed {seed} lies outside the {image.Width}x{image.Height} image (0 ≤ x < {image.Width}, 0 ≤ y < {image.Height})");
            }
        }

        // With --features the backbone never runs: the file stands in for the extraction.
        using OnnxFeatureExtractor? extractor = args.FeaturesPath is null ? ModelArguments.CreateExtractor(args.Backbone, args.ModelPath, args.Device) : null;
        double loadMs = Lap(clock);
        PatchFeatures features = extractor?.Extract(image) ?? FeatureFile.Load(args.FeaturesPath!, new FeatureExpectations
        {
            Backbone = args.Backbone == "default" ? null : new ModelArguments { Backbone = args.Backbone }.Preset.Name,
            ImageSize = (image.Width, image.Height),
        });
        double extractMs = Lap(clock);
        string device = extractor?.Device.ToString().ToLowerInvariant() ?? "none";

        var options = args.Sigma is { } sigma ? SegmentationOptions.Default with { SimilaritySigma = sigma } : SegmentationOptions.Default;
        float threshold = args.Threshold ?? ModelArguments.DefaultThresholdFor(features.Backbone);
        SegmentationResult result = new SimilaritySegmenter(options).Segment(features, [.. args.Seeds], threshold);
        double segmentMs = Lap(clock);

        IReadOnlyList<string> written = ViewWriter.SaveAll(image, result, args.OutputDirectory);
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
                deviceReason = extractor?.DeviceReason ?? $"features loaded from {args.FeaturesPath}",
                seeds = args.Seeds.Select(s => new[] { s.X, s.Y }),
                threshold = result.Threshold,
                similaritySigma = options.SimilaritySigma,
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
            stdout.WriteLine($"threshold {result.Threshold:0.###}: {result.AreaFraction:P1} of the image selected");
            stdout.WriteLine($"timings: decode {decodeMs:0} ms, extract {extractMs:0} ms, segment {segmentMs:0.0} ms");
            stdout.WriteLine($"wrote {string.Join(", ", written.Select(Path.GetFileName))} to {args.OutputDirectory}");
        }

        return ExitCodes.Ok;
    }

    private static double Lap(Stopwatch clock)
    {
        double ms = Math.Round(clock.Elapsed.TotalMilliseconds, 2);
        clock.Restart();
        return ms;
    }
}
