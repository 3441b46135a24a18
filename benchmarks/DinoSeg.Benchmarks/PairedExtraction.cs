using System.Diagnostics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace DinoSeg.Benchmarks;

/// <summary>
/// The earlier default (layer 3 alone) and the current one (layers 2+3+4 fused) timed in alternation, round by round, in
/// one process: on a shared, noisy VM the per-round ratio is steadier than two BenchmarkDotNet runs minutes apart.
/// <c>dotnet run -c Release --project benchmarks/DinoSeg.Benchmarks -- paired-extraction [ROUNDS]</c>
/// </summary>
internal static class PairedExtraction
{
    public static void Run(int rounds)
    {
        using var photo = Image.Load<Rgb24>(Path.Combine(AppContext.BaseDirectory, "coffee.png"));
        Console.WriteLine($"coffee.png {photo.Width}x{photo.Height}, {rounds} rounds per long side, CPU, each photo already at its working size");
        Console.WriteLine("| long side | layer 3 alone (working size) | layers 2+3+4 fused (working size) | fused / layer 3, per round |");
        Console.WriteLine("|---:|---:|---:|---:|");
        foreach (int longSide in (int[])[512, 768])
        {
            var options = new ExtractorOptions { Device = ExecutionDevice.Cpu, LongSide = longSide };
            using var layer3 = OnnxFeatureExtractor.CreateDefault(Backbone.ResNet18Layer3, options);
            using var fused = OnnxFeatureExtractor.CreateDefault(Backbone.ResNet18, options);
            using var image3 = AtWorkingSize(photo, layer3);
            using var imageF = AtWorkingSize(photo, fused);
            for (int i = 0; i < 3; i++)
            {
                layer3.Extract(image3);
                fused.Extract(imageF);
            }

            var a = new double[rounds];
            var b = new double[rounds];
            for (int i = 0; i < rounds; i++)
            {
                // Alternate which goes first, so neither always follows the other.
                if (i % 2 == 0)
                {
                    a[i] = Time(() => layer3.Extract(image3));
                    b[i] = Time(() => fused.Extract(imageF));
                }
                else
                {
                    b[i] = Time(() => fused.Extract(imageF));
                    a[i] = Time(() => layer3.Extract(image3));
                }
            }

            double[] ratio = [.. a.Zip(b, (x, y) => y / x)];
            Console.WriteLine($"| {longSide} | {Median(a):F1} ms (min {a.Min():F1}; {image3.Width}x{image3.Height}) | " +
                $"{Median(b):F1} ms (min {b.Min():F1}; {imageF.Width}x{imageF.Height}) | {Median(ratio):F2} (quartiles {Quantile(ratio, 0.25):F2}–{Quantile(ratio, 0.75):F2}) |");
        }
    }

    private static Image<Rgb24> AtWorkingSize(Image<Rgb24> photo, OnnxFeatureExtractor extractor)
    {
        var (width, height) = extractor.WorkingSizeFor(photo.Width, photo.Height);
        return photo.Clone(x => x.Resize(width, height));
    }

    private static double Time(Func<PatchFeatures> extract)
    {
        long t0 = Stopwatch.GetTimestamp();
        extract();
        return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    }

    private static double Median(double[] values) => Quantile(values, 0.5);

    private static double Quantile(double[] values, double q)
    {
        double[] sorted = [.. values.Order()];
        double x = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(x), hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (x - lo);
    }
}
