using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Cli;

/// <summary><c>dinoseg features</c>: decode, extract, save a feature cache file that <c>segment --features</c> reuses.</summary>
internal static class FeaturesCommand
{
    public static CliCommand Create()
    {
        var command = new CliCommand("features",
            "extract an image's patch features once and save them to a file (segment --features reuses it)",
            "Runs the backbone once on IMAGE and saves its patch features (versioned header, backbone name, grid, dim, float32 values, " +
            "XxHash64 checksum; written atomically). 'dinoseg segment IMAGE --features FILE.dsf' then skips the backbone, and a loaded " +
            "file segments exactly as the features it was saved from.",
            """
            dinoseg features samples/images/chelsea.png --out chelsea.dsf
            dinoseg segment samples/images/chelsea.png --features chelsea.dsf --seed 172,115 --out out
            dinoseg features photo.jpg --backbone dinov3 --model dinov3_vitl16.onnx --out photo.dsf --json
            """);
        var image = new Argument<string>("IMAGE") { Description = $"{ImageDecoder.FormatNames} file" };
        var output = new Option<string>("--out") { Description = "the feature file to create or replace", HelpName = "FILE.dsf", Required = true };
        command.Arguments.Add(image);
        command.Options.Add(output);
        var model = new ModelOptions(command);
        var json = CliOptions.Json("print one JSON object (sizes, backbone, device, bytes, timings) on stdout");
        command.Options.Add(json);
        command.SetRun(parse => Run(parse.GetValue(image)!, parse.GetValue(output)!, model.Read(parse), parse.GetValue(json), Console.Out));
        return command;
    }

    public static int Run(string image, string output, ModelArguments model, bool json, TextWriter stdout)
    {
        var clock = Stopwatch.StartNew();
        using Image<Rgb24> decoded = ImageDecoder.Load(image);
        double decodeMs = Lap(clock);
        using OnnxFeatureExtractor extractor = model.CreateExtractor();
        double loadMs = Lap(clock);
        PatchFeatures features = extractor.Extract(decoded);
        double extractMs = Lap(clock);
        FeatureFile.Save(features, output);
        double writeMs = Lap(clock);
        long bytes = new FileInfo(output).Length;

        if (json)
        {
            stdout.WriteLine(JsonSerializer.Serialize(new
            {
                image = new { path = image, width = decoded.Width, height = decoded.Height },
                grid = new { rows = features.Rows, cols = features.Cols },
                workingSize = new { width = features.WorkingWidth, height = features.WorkingHeight },
                patchSize = features.PatchSize,
                dim = features.Dim,
                backbone = features.Backbone,
                device = extractor.Device.ToString().ToLowerInvariant(),
                deviceReason = extractor.DeviceReason,
                output = Path.GetFullPath(output),
                bytes,
                timingsMs = new { decode = decodeMs, load = loadMs, extract = extractMs, write = writeMs },
            }));
        }
        else
        {
            stdout.WriteLine($"{image}: {decoded.Width}x{decoded.Height}, grid {features.Rows}x{features.Cols}, dim {features.Dim}, {features.Backbone} on {extractor.Device}");
            stdout.WriteLine($"wrote {output} ({bytes / 1024.0:0.#} KiB) in decode {decodeMs:0} ms, extract {extractMs:0} ms, write {writeMs:0} ms");
        }

        return ExitCodes.Ok;
    }

    internal static double Lap(Stopwatch clock)
    {
        double ms = Math.Round(clock.Elapsed.TotalMilliseconds, 2);
        clock.Restart();
        return ms;
    }
}
