using System.Diagnostics;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using Xunit.Abstractions;

namespace DinoSeg.Tests.Reliability;

/// <summary>
/// Mutates real PNG and JPEG files (and, with the generic mutations only, GIF, BMP, TIFF, WebP and TGA re-encodes of them)
/// thousands of times and decodes each with <see cref="ImageDecoder"/>: only
/// <see cref="DinoSegImageException"/> may come out, no call may hang, and memory must stay bounded. Deterministic: iteration
/// i always builds the same file (replay one with <see cref="Mutate"/>).
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed class DecoderFuzzTests(ITestOutputHelper output)
{
    private const int BaseSeed = 20261126;
    private const int Iterations = 10_000;
    private static readonly TimeSpan PerCallLimit = TimeSpan.FromSeconds(10);
    private const long WorkingSetCeiling = 3L << 30;
    private const long ManagedGrowthCeiling = 64L << 20;

    // Tighter than the defaults so a dimension lie the limits accept still costs little; the defaults are tested elsewhere.
    private static readonly ImageLimits Limits = new() { MaxPixels = 4_000_000, MaxBytes = 8L << 20 };

    private static readonly Lazy<(string Name, byte[] Bytes)[]> Corpus = new(BuildCorpus);

    [Fact]
    public void Load_MutatedImages_OnlyImageExceptionsInBoundedTimeAndMemory()
    {
        // Arrange
        var corpus = Corpus.Value;
        var outcomes = new SortedDictionary<(string Mutation, string Outcome), int>();
        var unexpected = new List<string>();
        long startCall = 0, longestCall = 0, peakWorkingSet = 0, peakManaged = 0;
        string current = "";
        int done = 0;
        var clock = Stopwatch.StartNew();
        // The working set counts from here: what earlier tests in this process left mapped (ImageSharp's pools, heap the GC
        // kept) is released first and the rest subtracted, so the ceiling bounds what the fuzz itself costs.
        SixLabors.ImageSharp.Configuration.Default.MemoryAllocator.ReleaseRetainedResources();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        long managedBefore = GC.GetTotalMemory(forceFullCollection: true);
        long workingSetBefore = Environment.WorkingSet;

        // Act: the loop runs on its own thread so this one can act as the watchdog of every single call.
        var worker = new Thread(() =>
        {
            for (int i = 0; i < Iterations; i++)
            {
                var (label, bytes) = Mutate(corpus, i);
                Volatile.Write(ref current, $"iteration {i} ({label}, {bytes.Length} bytes)");
                Volatile.Write(ref startCall, Stopwatch.GetTimestamp());
                string outcome = Decode(bytes, label, i, unexpected);
                long took = Stopwatch.GetTimestamp() - startCall;
                Volatile.Write(ref startCall, 0);
                longestCall = Math.Max(longestCall, took);
                string key = Path.GetExtension(label) is ".png" or ".jpg" ? label.Split(' ', '+')[0] : "other formats: " + label.Split(' ', '+')[0];
                outcomes[(key, outcome)] = outcomes.GetValueOrDefault((key, outcome)) + 1;
                if (i % 200 == 0)
                {
                    peakWorkingSet = Math.Max(peakWorkingSet, Environment.WorkingSet);
                    peakManaged = Math.Max(peakManaged, GC.GetTotalMemory(forceFullCollection: false));
                }

                done = i + 1;
            }
        })
        { IsBackground = true, Name = "decoder fuzz" };
        worker.Start();
        while (!worker.Join(200))
        {
            long started = Volatile.Read(ref startCall);
            if (started != 0 && Stopwatch.GetElapsedTime(started) > PerCallLimit)
            {
                Assert.Fail($"Decoding hung for over {PerCallLimit.TotalSeconds} s on {Volatile.Read(ref current)}.");
            }
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        long managedAfter = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine(Report(outcomes, done, clock.Elapsed, Stopwatch.GetElapsedTime(0, longestCall), peakWorkingSet, peakManaged, managedAfter - managedBefore));

        // Assert
        Assert.True(unexpected.Count == 0, $"{unexpected.Count} undocumented exceptions, first ones:\n{string.Join("\n", unexpected.Take(10))}");
        Assert.Equal(Iterations, done); // a fixed count, not a time budget: every machine fuzzes the same files
        Assert.True(peakWorkingSet - workingSetBefore < WorkingSetCeiling,
            $"working set peaked at {peakWorkingSet >> 20} MiB, {(peakWorkingSet - workingSetBefore) >> 20} MiB above its {workingSetBefore >> 20} MiB at the start");
        Assert.True(managedAfter - managedBefore < ManagedGrowthCeiling, $"managed heap grew by {(managedAfter - managedBefore) >> 20} MiB");
        Assert.Contains(outcomes, o => o.Key.Outcome == "decoded"); // the mutations do not all break the file at once
    }

    /// <summary>The file and mutation label of iteration <paramref name="iteration"/>: one structural or generic mutation, sometimes a second generic one.</summary>
    internal static (string Label, byte[] Bytes) Mutate((string Name, byte[] Bytes)[] corpus, int iteration)
    {
        var random = new Random(unchecked(BaseSeed + iteration * 1_000_003) & int.MaxValue); // HashCode is salted per process
        var (name, bytes) = corpus[random.Next(corpus.Length)];
        Mutation[] kinds = Path.GetExtension(name) switch { ".png" => ImageMutator.Png, ".jpg" => ImageMutator.Jpeg, _ => ImageMutator.Generic };
        Mutation first = kinds[random.Next(kinds.Length)];
        byte[] mutated = ImageMutator.Apply(bytes, first, random);
        string label = $"{first}";
        if (random.Next(4) == 0)
        {
            Mutation second = ImageMutator.Generic[random.Next(ImageMutator.Generic.Length)];
            mutated = ImageMutator.Apply(mutated, second, random);
            label += "+" + second;
        }

        return ($"{label} of {name}", mutated);
    }

    private static string Decode(byte[] bytes, string label, int iteration, List<string> unexpected)
    {
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            // The web upload path: the header check first (SegmentationService.CheckHeader), then the decode.
            if (ImageDecoder.Identify(stream) is { } header && header.Pixels > Limits.MaxPixels) return "over pixel limit";
            using Image<Rgb24> image = ImageDecoder.Load(stream, Limits);
            return image.Width > 0 && image.Height > 0 ? "decoded" : "decoded empty";
        }
        catch (DinoSegImageException e)
        {
            return Classify(e);
        }
        catch (Exception e)
        {
            unexpected.Add($"iteration {iteration} ({label}): {e.GetType().FullName}: {e.Message}\n{e.StackTrace}");
            return "UNEXPECTED " + e.GetType().Name;
        }
    }

    /// <summary>Groups rejections by the check that made them.</summary>
    private static string Classify(DinoSegImageException e) => e.Expected switch
    {
        "an image" => e.Found.StartsWith("an empty", StringComparison.Ordinal) ? "empty" : "unknown format",
        var x when x.StartsWith("at most", StringComparison.Ordinal) && x.EndsWith("pixels", StringComparison.Ordinal) => "over pixel limit",
        var x when x.StartsWith("at most", StringComparison.Ordinal) => "over byte limit",
        var x when x.StartsWith("a complete", StringComparison.Ordinal) && x.EndsWith("file", StringComparison.Ordinal) => "no end marker",
        var x when x.StartsWith("PNG pixel data", StringComparison.Ordinal) => "short PNG data",
        var x when x.StartsWith("an image in a supported variant", StringComparison.Ordinal) => "unsupported variant",
        _ => "corrupt: " + (e.InnerException?.GetType().Name ?? "no inner"),
    };

    private static string Report(SortedDictionary<(string Mutation, string Outcome), int> outcomes, int iterations, TimeSpan elapsed,
        TimeSpan longest, long peakWorkingSet, long peakManaged, long growth)
    {
        string[] columns = [.. outcomes.Keys.Select(k => k.Outcome).Distinct().Order(StringComparer.Ordinal)];
        var text = new StringBuilder();
        text.AppendLine($"{iterations} iterations in {elapsed.TotalSeconds:0.0} s; longest call {longest.TotalMilliseconds:0} ms; " +
            $"peak working set {peakWorkingSet >> 20} MiB, peak managed {peakManaged >> 20} MiB, managed growth {growth / 1024} KiB");
        text.AppendLine($"| mutation | total | {string.Join(" | ", columns)} |");
        text.AppendLine($"|---|---:|{string.Concat(columns.Select(_ => "---:|"))}");
        foreach (string mutation in outcomes.Keys.Select(k => k.Mutation).Distinct().Order(StringComparer.Ordinal))
        {
            int[] counts = [.. columns.Select(c => outcomes.GetValueOrDefault((mutation, c)))];
            text.AppendLine($"| {mutation} | {counts.Sum()} | {string.Join(" | ", counts)} |");
        }

        int[] totals = [.. columns.Select(c => outcomes.Where(o => o.Key.Outcome == c).Sum(o => o.Value))];
        text.AppendLine($"| all | {totals.Sum()} | {string.Join(" | ", totals)} |");
        return text.ToString();
    }

    /// <summary>
    /// Two real photos as they are, small re-encodes of them in the PNG and JPEG variants decoders branch on, and one small
    /// file in each other format <see cref="ImageDecoder"/> accepts.
    /// </summary>
    private static (string Name, byte[] Bytes)[] BuildCorpus()
    {
        var corpus = new List<(string, byte[])>
        {
            ("chelsea.png", File.ReadAllBytes(TestPaths.Image("chelsea.png"))),
            ("rocket.jpg", File.ReadAllBytes(TestPaths.Image("rocket.jpg"))),
        };
        using var chelsea = Image.Load<Rgb24>(TestPaths.Image("chelsea.png"));
        using var rocket = Image.Load<Rgb24>(TestPaths.Image("rocket.jpg"));
        using var cat = chelsea.Clone(c => c.Resize(48, 32));
        using var ship = rocket.Clone(c => c.Resize(40, 27));
        using Image<Rgba32> catAlpha = cat.CloneAs<Rgba32>();
        catAlpha.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                Span<Rgba32> row = rows.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++) row[x].A = (byte)(x * 5);
            }
        });

        corpus.Add(("cat-rgb.png", Encode(cat, new PngEncoder { ColorType = PngColorType.Rgb })));
        corpus.Add(("cat-palette.png", Encode(cat, new PngEncoder { ColorType = PngColorType.Palette })));
        corpus.Add(("cat-grey.png", Encode(cat, new PngEncoder { ColorType = PngColorType.Grayscale })));
        corpus.Add(("cat-rgb16.png", Encode(cat, new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit16 })));
        corpus.Add(("cat-adam7.png", Encode(cat, new PngEncoder { ColorType = PngColorType.Rgb, InterlaceMethod = PngInterlaceMode.Adam7 })));
        corpus.Add(("cat-rgba.png", Encode(catAlpha, new PngEncoder { ColorType = PngColorType.RgbWithAlpha })));
        corpus.Add(("ship-420.jpg", Encode(ship, new JpegEncoder { Quality = 75, ColorType = JpegColorType.YCbCrRatio420 })));
        corpus.Add(("ship-444.jpg", Encode(ship, new JpegEncoder { Quality = 90, ColorType = JpegColorType.YCbCrRatio444 })));
        corpus.Add(("cat-grey.jpg", Encode(cat, new JpegEncoder { Quality = 80, ColorType = JpegColorType.Luminance })));
        corpus.Add(("cat.gif", Encode(cat, new SixLabors.ImageSharp.Formats.Gif.GifEncoder())));
        corpus.Add(("cat.bmp", Encode(cat, new SixLabors.ImageSharp.Formats.Bmp.BmpEncoder())));
        corpus.Add(("cat.tiff", Encode(cat, new SixLabors.ImageSharp.Formats.Tiff.TiffEncoder())));
        corpus.Add(("cat.webp", Encode(cat, new SixLabors.ImageSharp.Formats.Webp.WebpEncoder())));
        corpus.Add(("cat-lossless.webp", Encode(cat, new SixLabors.ImageSharp.Formats.Webp.WebpEncoder { FileFormat = SixLabors.ImageSharp.Formats.Webp.WebpFileFormatType.Lossless })));
        corpus.Add(("cat.tga", Encode(cat, new SixLabors.ImageSharp.Formats.Tga.TgaEncoder())));
        return [.. corpus];
    }

    private static byte[] Encode(Image image, SixLabors.ImageSharp.Formats.IImageEncoder encoder)
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }
}
