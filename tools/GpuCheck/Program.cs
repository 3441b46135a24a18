using System.Diagnostics;
using System.Globalization;
using DinoSeg;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

// usage: GpuCheck [--image PATH] [--model PATH.onnx --backbone dinov3|dinov2] [--sizes 512,768,1024] [--runs N] [--cpu-only]
// For each long side: load the model on each device, extract once (cold: CUDA initialisation, cuDNN algorithm choice),
// then time N more extractions of the same image and report the median.
var (imagePath, modelPath, backboneName, sizes, runs, cpuOnly) = ("samples/images/chelsea.png", (string?)null, "default", new[] { 512, 768, 1024 }, 10, false);
for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--image": imagePath = Next(); break;
        case "--model": modelPath = Next(); break;
        case "--backbone": backboneName = Next(); break;
        case "--sizes": sizes = [.. Next().Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))]; break;
        case "--runs": runs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--cpu-only": cpuOnly = true; break;
        default: throw new ArgumentException($"unknown option {args[i]}");
    }
}

Backbone backbone = backboneName switch
{
    "default" => Backbone.ResNet18,
    "dinov3" => Backbone.Dinov3,
    "dinov2" => Backbone.Dinov2(),
    _ => throw new ArgumentException($"--backbone must be default, dinov3 or dinov2, not '{backboneName}'"),
};
if (modelPath is null && backboneName != "default") throw new ArgumentException("--backbone dinov3/dinov2 needs --model");

using Image<Rgb24> image = ImageDecoder.Load(imagePath);
ExecutionDevice[] devices = cpuOnly ? [ExecutionDevice.Cpu] : [ExecutionDevice.Cuda, ExecutionDevice.Cpu];
Console.WriteLine($"image {imagePath} ({image.Width}x{image.Height}), backbone {backbone.Name}, {runs} timed runs after one cold run, {Environment.ProcessorCount} CPU threads");
Console.WriteLine();
Console.WriteLine($"{"long side",9} {"grid",7} | {"device",6} {"load ms",9} {"cold ms",9} {"median ms",10} {"min ms",8}");
var medians = new Dictionary<(int, ExecutionDevice), double>();
foreach (int longSide in sizes)
{
    foreach (ExecutionDevice device in devices)
    {
        var options = new ExtractorOptions { Device = device, LongSide = longSide };
        long start = Stopwatch.GetTimestamp();
        OnnxFeatureExtractor extractor;
        try
        {
            extractor = modelPath is null ? OnnxFeatureExtractor.CreateDefault(options) : OnnxFeatureExtractor.Create(modelPath, backbone, options);
        }
        catch (DinoSegDeviceException e)
        {
            Console.Error.WriteLine($"gpu-check: CUDA is not usable: {e.Message}");
            return 5;
        }

        using (extractor)
        {
            double load = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            start = Stopwatch.GetTimestamp();
            PatchFeatures features = extractor.Extract(image);
            double cold = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            var times = new double[runs];
            for (int r = 0; r < runs; r++)
            {
                start = Stopwatch.GetTimestamp();
                extractor.Extract(image);
                times[r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }

            Array.Sort(times);
            double median = runs == 0 ? double.NaN : times[runs / 2];
            medians[(longSide, device)] = median;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{longSide,9} {$"{features.Rows}x{features.Cols}",7} | {extractor.Device,6} {load,9:0.0} {cold,9:0.0} {median,10:0.00} {(runs == 0 ? double.NaN : times[0]),8:0.00}"));
        }
    }
}

if (!cpuOnly)
{
    Console.WriteLine();
    foreach (int longSide in sizes)
    {
        double speedUp = medians[(longSide, ExecutionDevice.Cpu)] / medians[(longSide, ExecutionDevice.Cuda)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"long side {longSide}: CUDA {speedUp:0.0}x the CPU (median)"));
    }
}

return 0;
