using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Channels;
using DinoSeg.Rendering;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Cli;

/// <summary>
/// <c>dinoseg batch</c>: many images, one model, three stages joined by bounded channels (decode → extract → segment and
/// write), so the model works while the next image decodes and the last one is written. Resumable and shardable.
/// </summary>
internal static class BatchCommand
{
    public const string ResultFile = "result.json";
    public const string FeaturesFile = "features" + FeatureFile.Extension;

    public static CliCommand Create()
    {
        var command = new CliCommand("batch",
            "segment a folder of images with seeds from a CSV/JSON file: pipelined, resumable, shardable",
            "Segments every image the seeds file names (files directly in IMAGES_DIR) and writes DIR/<image name without extension>/mask.png " +
            "(8-bit 0/255) and result.json (seeds, threshold, area, timings), plus the other five views with --views and the feature file " +
            "with --save-features. Decoding, the model and writing run as a pipeline, so the model is never idle waiting for a file. Every " +
            "file is written atomically and result.json last: a killed run leaves no half-written file, and a rerun skips the images whose " +
            "result.json matches the request and whose outputs all exist. Progress goes to stderr (a bar on a terminal, one line per image " +
            "otherwise). Exit code 7 if any image failed (the others are still written); the summary lists each failure.",
            """
            dinoseg batch photos --seeds seeds.csv --out masks
            dinoseg batch photos --seeds seeds.json --out masks --views --save-features --json
            dinoseg batch /data/photos --seeds /data/seeds.csv --out /data/masks --shard $JOB_COMPLETION_INDEX/16
            """);
        var folder = new Argument<string>("IMAGES_DIR") { Description = "folder holding the images" };
        command.Arguments.Add(folder);
        var seeds = new Option<string>("--seeds")
        {
            Description = "CSV rows 'image,x,y[,threshold]' (several rows per image = several seeds; optional header 'image,x,y,threshold'; " +
                "'#' comments) or a JSON array of {\"image\": \"a.jpg\", \"seeds\": [[x, y], ...], \"threshold\": 0.3}. See docs/batch.md",
            HelpName = "FILE.csv|FILE.json",
            Required = true,
        };
        var output = new Option<string>("--out") { Description = "output folder (one subfolder per image)", HelpName = "DIR", Required = true };
        var views = new Option<bool>("--views") { Description = "also write soft-mask, similarity, overlay, cutout and panel PNGs" };
        var saveFeatures = new Option<bool>("--save-features") { Description = "also write features.dsf (reusable by 'dinoseg segment --features')" };
        var threshold = CliOptions.Threshold("threshold for images the seeds file gives none; auto (the default): the library's rule per image " +
            "(stable-single, as dinoseg segment); result.json records the value used");
        // Sharding is the command's own idea: its check stays here.
        var shard = CliOptions.Parsed<(int Index, int Count)>("--shard", "process only shard I of N (0 ≤ I < N): the images whose position in " +
            "ordinal file-name order is I modulo N. N machines with I = 0 … N-1 cover every image exactly once", "I/N",
            "I/N with 0 ≤ I < N (e.g. 3/16)", ParseShard);
        foreach (Option option in new Option[] { seeds, output, views, saveFeatures, threshold, shard }) command.Options.Add(option);
        var model = new ModelOptions(command);
        var json = CliOptions.Json("print the summary as one JSON object on stdout");
        command.Options.Add(json);
        command.SetRun(parse =>
        {
            var (index, count) = parse.GetValue(shard) ?? (0, 1);
            string images = parse.GetValue(folder)!;
            if (!Directory.Exists(images)) throw new UsageException($"no folder at '{images}'");
            return Run(new Arguments(images, parse.GetValue(seeds)!, parse.GetValue(output)!, parse.GetValue(views), parse.GetValue(saveFeatures),
                parse.GetValue(threshold), index, count, model.Read(parse), parse.GetValue(json)), Console.Out, Console.Error);
        });
        return command;
    }

    private sealed record Arguments(string Folder, string SeedsFile, string Output, bool Views, bool SaveFeatures, ThresholdArgument? Threshold,
        int ShardIndex, int ShardCount, ModelArguments Model, bool Json);

    /// <summary>An image on its way through the stages; Error set means it failed at some stage and is only reported.</summary>
    private sealed class Work(BatchItem item)
    {
        public BatchItem Item { get; } = item;
        public Image<Rgb24>? Image { get; set; }
        public PatchFeatures? Features { get; set; }
        public string? Error { get; set; }
        public double DecodeMs { get; set; }
        public double ExtractMs { get; set; }
    }

    private static int Run(Arguments args, TextWriter stdout, TextWriter stderr)
    {
        IReadOnlyList<BatchItem> all = BatchManifest.Load(args.SeedsFile, args.Folder);
        List<BatchItem> shard = [.. all.Where((_, index) => index % args.ShardCount == args.ShardIndex)];

        var wall = Stopwatch.StartNew();
        var progress = new Progress(stderr, shard.Count, live: Console.IsErrorRedirected is false && ReferenceEquals(stderr, Console.Error));
        var skipped = new List<string>();
        var pending = new List<BatchItem>();
        foreach (BatchItem item in shard)
        {
            if (IsComplete(args, item))
            {
                skipped.Add(item.Image);
                progress.Report(item.Image, "skipped (complete)");
            }
            else
            {
                pending.Add(item);
            }
        }

        var done = new List<string>();
        var failed = new List<object>();
        double decodeMs = 0, extractMs = 0, writeMs = 0, loadMs = 0, pipelineMs = 0;
        string backbone = "", device = "";
        if (pending.Count > 0)
        {
            var load = Stopwatch.StartNew();
            using OnnxFeatureExtractor extractor = args.Model.CreateExtractor();
            loadMs = load.Elapsed.TotalMilliseconds;
            var pipeline = Stopwatch.StartNew();
            backbone = extractor.Backbone.Name;
            device = extractor.Device.ToString().ToLowerInvariant();
            var decoded = Channel.CreateBounded<Work>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
            var extracted = Channel.CreateBounded<Work>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
            using var cancel = new CancellationTokenSource();
            Task decode = Task.Run(() => DecodeStage(args.Folder, pending, decoded.Writer, cancel.Token));
            Task extract = Task.Run(() => ExtractStage(extractor, decoded.Reader, extracted.Writer, cancel.Token));
            var segmenter = new SimilaritySegmenter(SegmentationOptions.Default with { ComputeSoftMask = args.Views });
            try
            {
                foreach (Work work in extracted.Reader.ReadAllAsync(cancel.Token).ToBlockingEnumerable())
                {
                    decodeMs += work.DecodeMs;
                    extractMs += work.ExtractMs;
                    using (work.Image)
                    {
                        if (work.Error is null)
                        {
                            var clock = Stopwatch.StartNew();
                            try
                            {
                                double area = Write(args, work, segmenter);
                                done.Add(work.Item.Image);
                                progress.Report(work.Item.Image, $"done ({area:P1} selected)");
                            }
                            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException { ParamName: "point" })
                            {
                                // One image's seed outside it (the library's check) or its write failing (a name taken by a
                                // folder, a read-only folder) fails that image alone; its result.json is gone, so a rerun redoes it.
                                work.Error = e is ArgumentException a
                                    ? LibraryCheck.Usage($"seed ({work.Item.Where})", a).Message
                                    : $"cannot write outputs: {e.Message.ReplaceLineEndings(" ")}";
                                failed.Add(new { image = work.Item.Image, error = work.Error });
                                progress.Report(work.Item.Image, $"failed: {work.Error}");
                            }

                            writeMs += clock.Elapsed.TotalMilliseconds;
                        }
                        else
                        {
                            failed.Add(new { image = work.Item.Image, error = work.Error });
                            progress.Report(work.Item.Image, $"failed: {work.Error}");
                        }
                    }
                }
            }
            finally
            {
                pipelineMs = pipeline.Elapsed.TotalMilliseconds;
                // A fatal error in one stage stops the others; the stage's own exception is what the user sees.
                cancel.Cancel();
                try
                {
                    Task.WaitAll(decode, extract);
                }
                catch (AggregateException e) when (e.InnerExceptions.Any(x => x is not OperationCanceledException))
                {
                    ExceptionDispatchInfo.Throw(e.InnerExceptions.First(x => x is not OperationCanceledException));
                }
                catch (AggregateException)
                {
                }
            }
        }

        progress.Finish();
        double wallMs = wall.Elapsed.TotalMilliseconds;
        if (args.Json)
        {
            stdout.WriteLine(JsonSerializer.Serialize(new
            {
                images = all.Count,
                shard = new { index = args.ShardIndex, count = args.ShardCount, images = shard.Count },
                done,
                skipped,
                failed,
                backbone,
                device,
                output = Path.GetFullPath(args.Output),
                timingsMs = new { wall = Math.Round(wallMs, 1), modelLoad = Math.Round(loadMs, 1), pipeline = Math.Round(pipelineMs, 1), decode = Math.Round(decodeMs, 1), extract = Math.Round(extractMs, 1), segmentAndWrite = Math.Round(writeMs, 1) },
                modelBusyFraction = pipelineMs > 0 ? Math.Round(extractMs / pipelineMs, 3) : 0,
            }));
        }
        else
        {
            stdout.WriteLine($"shard {args.ShardIndex}/{args.ShardCount}: {shard.Count} of {all.Count} images — {done.Count} done, {skipped.Count} skipped (complete), {failed.Count} failed in {wallMs / 1000:0.0} s");
            if (done.Count > 0) stdout.WriteLine($"model busy {extractMs / pipelineMs:P0} of the pipeline's {pipelineMs / 1000:0.0} s after a {loadMs:0} ms load (decode {decodeMs:0} ms, extract {extractMs:0} ms, segment+write {writeMs:0} ms in total)");
        }

        return failed.Count > 0 ? ExitCodes.SomeImagesFailed : ExitCodes.Ok;
    }

    private static (int, int)? ParseShard(string text)
    {
        string[] parts = text.Split('/');
        return parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out int index)
            && int.TryParse(parts[1], CultureInfo.InvariantCulture, out int count) && count >= 1 && index >= 0 && index < count
            ? (index, count) : null;
    }

    /// <summary>Runs a stage and closes its output channel when it ends, with its exception if it failed.</summary>
    private static async Task Stage(ChannelWriter<Work> output, Func<Task> body)
    {
        try
        {
            await body();
            output.Complete();
        }
        catch (Exception e)
        {
            output.Complete(e);
            throw;
        }
    }

    private static Task DecodeStage(string folder, List<BatchItem> items, ChannelWriter<Work> output, CancellationToken cancel) => Stage(output, async () =>
    {
        foreach (BatchItem item in items)
        {
            var work = new Work(item);
            var clock = Stopwatch.StartNew();
            try
            {
                work.Image = ImageDecoder.Load(Path.Combine(folder, item.Image));
            }
            catch (Exception e) when (e is DinoSegImageException or FileNotFoundException)
            {
                // A bad image fails alone: it is reported, the batch goes on.
                work.Image?.Dispose();
                work.Image = null;
                work.Error = e.Message.ReplaceLineEndings(" ");
            }

            work.DecodeMs = clock.Elapsed.TotalMilliseconds;
            await output.WriteAsync(work, cancel);
        }
    });

    private static Task ExtractStage(IFeatureExtractor extractor, ChannelReader<Work> input, ChannelWriter<Work> output, CancellationToken cancel) => Stage(output, async () =>
    {
        // The one model: it only ever waits when the decoder is slower than it, never on writing.
        await foreach (Work work in input.ReadAllAsync(cancel))
        {
            if (work.Image is not null)
            {
                var clock = Stopwatch.StartNew();
                work.Features = extractor.Extract(work.Image, cancel);
                work.Features.Guide = RefinementGuide.FromImage(work.Image); // the default refinement (the CRF) reads the colours
                work.ExtractMs = clock.Elapsed.TotalMilliseconds;
            }

            await output.WriteAsync(work, cancel);
        }
    });

    /// <summary>What an image's outputs depend on; a rerun skips the image only if its result.json recorded the same.</summary>
    private static string Request(Arguments args, BatchItem item) => JsonSerializer.Serialize(new
    {
        backbone = args.Model.Preset.Name,
        model = args.Model.ModelPath is null ? null : Path.GetFullPath(args.Model.ModelPath),
        longSide = args.Model.LongSide,
        seeds = item.Seeds.Select(s => new[] { s.X, s.Y }),
        threshold = ThresholdFor(args, item) is { } t ? t : (object)"auto",
        views = args.Views,
        saveFeatures = args.SaveFeatures,
    });

    /// <summary>The image's own threshold, else --threshold; null for the library's rule (--threshold auto, the default).</summary>
    private static float? ThresholdFor(Arguments args, BatchItem item) => item.Threshold ?? args.Threshold?.Value;

    /// <summary>
    /// Whether result.json matches the request and every output it lists is there with the length and SHA-256 recorded
    /// when it was written. Anything unreadable, foreign or odd (a null or unknown name, a missing field) means "redo".
    /// </summary>
    private static bool IsComplete(Arguments args, BatchItem item)
    {
        string directory = Path.Combine(args.Output, item.Stem);
        string path = Path.Combine(directory, ResultFile);
        if (!File.Exists(path)) return false;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(path));
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("request", out JsonElement request)
                || request.GetRawText() != Request(args, item)
                || !root.TryGetProperty("outputs", out JsonElement outputs) || outputs.ValueKind != JsonValueKind.Array
                || outputs.GetArrayLength() == 0)
            {
                return false;
            }

            foreach (JsonElement output in outputs.EnumerateArray())
            {
                if (output.ValueKind != JsonValueKind.Object
                    || !output.TryGetProperty("name", out JsonElement name) || name.ValueKind != JsonValueKind.String
                    || !OutputNames.Contains(name.GetString()!)
                    || !output.TryGetProperty("bytes", out JsonElement bytes) || !bytes.TryGetInt64(out long length)
                    || !output.TryGetProperty("sha256", out JsonElement sha) || sha.ValueKind != JsonValueKind.String)
                {
                    return false;
                }

                var file = new FileInfo(Path.Combine(directory, name.GetString()!));
                if (!file.Exists || file.Length != length || Sha256(file.FullName) != sha.GetString()) return false;
            }

            return true;
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
        {
            return false; // unreadable or foreign: redo the image
        }
    }

    /// <summary>The only names result.json may list (anything else is foreign).</summary>
    private static readonly HashSet<string> OutputNames = new([.. ViewWriter.FileNames, FeaturesFile], StringComparer.Ordinal);

    private static string Sha256(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static readonly Dictionary<string, string> ThresholdOption = new() { ["threshold"] = "--threshold" };

    /// <summary>Segments one image and writes its outputs, result.json last; returns the selected area fraction.</summary>
    private static double Write(Arguments args, Work work, SimilaritySegmenter segmenter)
    {
        var clock = Stopwatch.StartNew();
        Image<Rgb24> image = work.Image!;
        PatchFeatures features = work.Features!;
        SegmentationResult result = LibraryCheck.Run(() => ThresholdFor(args, work.Item) is { } threshold
            ? segmenter.Segment(features, new SegmentationPrompt([.. work.Item.Seeds]), threshold)
            : segmenter.SegmentAuto(features, new SegmentationPrompt([.. work.Item.Seeds])), ThresholdOption);
        double segmentMs = clock.Elapsed.TotalMilliseconds;
        string directory = Path.Combine(args.Output, work.Item.Stem);
        if (Directory.Exists(directory))
        {
            // The old record goes first: from here until the new one is written, the folder describes no request, so a run
            // stopped part-way leaves outputs that a rerun redoes, never ones it takes for another request's.
            File.Delete(Path.Combine(directory, ResultFile));
            // Hidden temporary files left by a run that was killed mid-write: never read, safe to drop. The folder is the
            // image's own (its name passed ImageFolder.OutputStem), so nothing outside --out is touched.
            foreach (string stale in Directory.EnumerateFiles(directory, ".*.tmp")) File.Delete(stale);
        }

        var outputs = new List<string>();
        if (args.Views)
        {
            outputs.AddRange(ViewWriter.SaveAll(image, result, directory).Select(Path.GetFileName)!);
        }
        else
        {
            ImageFolder.SaveMask(result.Mask, result.Width, result.Height, Path.Combine(directory, ViewWriter.MaskFile));
            outputs.Add(ViewWriter.MaskFile);
        }

        if (args.SaveFeatures)
        {
            FeatureFile.Save(features, Path.Combine(directory, FeaturesFile));
            outputs.Add(FeaturesFile);
        }

        string request = Request(args, work.Item);
        AtomicFile.Write(Path.Combine(directory, ResultFile), stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            json.WriteString("image", work.Item.Image);
            json.WriteNumber("width", image.Width);
            json.WriteNumber("height", image.Height);
            json.WritePropertyName("request");
            json.WriteRawValue(request);
            json.WriteNumber("threshold", result.Threshold);
            json.WriteNumber("maskAreaFraction", Math.Round(result.AreaFraction, 6));
            json.WriteStartArray("outputs");
            foreach (string name in outputs)
            {
                // What was written, as written: a rerun trusts an output only if it still has this length and hash.
                string file = Path.Combine(directory, name);
                json.WriteStartObject();
                json.WriteString("name", name);
                json.WriteNumber("bytes", new FileInfo(file).Length);
                json.WriteString("sha256", Sha256(file));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartObject("timingsMs");
            json.WriteNumber("decode", Math.Round(work.DecodeMs, 2));
            json.WriteNumber("extract", Math.Round(work.ExtractMs, 2));
            json.WriteNumber("segment", Math.Round(segmentMs, 2));
            json.WriteEndObject();
            json.WriteEndObject();
        });
        return result.AreaFraction;
    }

    /// <summary>Progress on stderr: a redrawn bar on a terminal, one plain line per image when stderr is a file or pipe.</summary>
    private sealed class Progress(TextWriter stderr, int total, bool live)
    {
        private const int BarWidth = 30;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private int _count;

        public void Report(string image, string status)
        {
            _count++;
            if (!live)
            {
                stderr.WriteLine($"dinoseg batch: [{_count}/{total}] {image}: {status}");
                return;
            }

            int filled = total == 0 ? BarWidth : _count * BarWidth / total;
            double rate = _count / Math.Max(_clock.Elapsed.TotalSeconds, 1e-3);
            string name = image.Length > 30 ? "…" + image[^29..] : image;
            stderr.Write($"\r[{new string('#', filled)}{new string('.', BarWidth - filled)}] {_count}/{total} {rate:0.0} img/s {name,-30}");
        }

        public void Finish()
        {
            if (live && _count > 0) stderr.WriteLine();
        }
    }
}
