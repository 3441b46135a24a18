using System.Globalization;

namespace DinoSeg.Cli;

/// <summary>The parsed <c>dinoseg segment</c> command line.</summary>
internal sealed record SegmentArguments
{
    public required string ImagePath { get; init; }

    public required IReadOnlyList<PixelPoint> Seeds { get; init; }

    public float? Threshold { get; init; }

    public double? Sigma { get; init; }

    public string Backbone { get; init; } = "default";

    public string? ModelPath { get; init; }

    public ExecutionDevice Device { get; init; } = ExecutionDevice.Auto;

    public required string OutputDirectory { get; init; }

    public bool Json { get; init; }

    public const string Usage = """
        usage: dinoseg segment IMAGE --seed X,Y [--seed X,Y ...] [--negative X,Y ...] [--threshold T|auto]
                       [--sigma PX] [--backbone default|dinov3|dinov2] [--model PATH.onnx] [--device auto|cpu|cuda]
                       --out DIR [--json]

        Segments IMAGE from the seed pixel(s) and writes mask.png, soft-mask.png, similarity.png, overlay.png,
        cutout.png and panel.png into DIR.

          IMAGE               PNG, JPEG, BMP, GIF, TGA, TIFF, WebP or PBM file
          --seed X,Y          seed pixel of the original image (repeat for several; similarities combine by max)
          --negative X,Y      negative seed (not supported yet: refused, never ignored)
          --threshold T       similarity threshold in [-1, 1]; default: the backbone's (0.2 for the embedded one).
                              'auto' is not supported yet
          --sigma PX          Gaussian σ in image pixels applied to the similarity map before the threshold (default 4)
          --backbone NAME     default (embedded ResNet18, no download), dinov3 or dinov2 (need --model)
          --model PATH.onnx   exported backbone (see docs/models.md)
          --device D          auto (CUDA if usable, else CPU), cpu, or cuda (fails if CUDA is unusable)
          --out DIR           output folder (created if missing)
          --json              print one JSON object with sizes, device, threshold, area and timings on stdout

        examples:
          dinoseg segment samples/images/chelsea.png --seed 172,115 --out out
          dinoseg segment photo.jpg --seed 320,240 --backbone dinov3 --model dinov3_vitl16.onnx --threshold 0.55 --out out --json
        """;

    /// <summary>Parses the arguments after <c>segment</c>.</summary>
    /// <exception cref="UsageException">Anything missing, unknown, repeated or malformed.</exception>
    public static SegmentArguments Parse(IReadOnlyList<string> args)
    {
        string? image = null, model = null, output = null, backbone = null;
        var seeds = new List<PixelPoint>();
        float? threshold = null;
        double? sigma = null;
        var device = ExecutionDevice.Auto;
        bool json = false, deviceSet = false;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            switch (arg)
            {
                case "--seed":
                    seeds.Add(ParsePoint(arg, Value(args, ref i)));
                    break;
                case "--negative":
                    ParsePoint(arg, Value(args, ref i));
                    throw new UsageException("--negative is not supported yet; use positive --seed points only");
                case "--threshold":
                    threshold = Once(threshold, arg, ParseThreshold(Value(args, ref i)));
                    break;
                case "--sigma":
                    sigma = Once(sigma, arg, ParseSigma(arg, Value(args, ref i)));
                    break;
                case "--backbone":
                    backbone = Once(backbone, arg, Value(args, ref i) switch
                    {
                        var name when name is "default" or "dinov3" or "dinov2" => name,
                        var other => throw new UsageException($"--backbone must be default, dinov3 or dinov2, not '{other}'"),
                    });
                    break;
                case "--model":
                    model = Once(model, arg, Value(args, ref i));
                    break;
                case "--device":
                    if (deviceSet) throw new UsageException("--device given twice");
                    deviceSet = true;
                    device = Value(args, ref i) switch
                    {
                        "auto" => ExecutionDevice.Auto,
                        "cpu" => ExecutionDevice.Cpu,
                        "cuda" => ExecutionDevice.Cuda,
                        var other => throw new UsageException($"--device must be auto, cpu or cuda, not '{other}'"),
                    };
                    break;
                case "--out":
                    output = Once(output, arg, Value(args, ref i));
                    break;
                case "--json":
                    json = true;
                    break;
                default:
                    if (arg.StartsWith('-') && arg.Length > 1) throw new UsageException($"unknown option '{arg}' (see dinoseg segment --help)");
                    image = image is null ? arg : throw new UsageException($"one IMAGE expected, found '{image}' and '{arg}'");
                    break;
            }
        }

        if (image is null) throw new UsageException("missing IMAGE (see dinoseg segment --help)");
        if (seeds.Count == 0) throw new UsageException("missing --seed X,Y: the pixel to segment from");
        if (output is null) throw new UsageException("missing --out DIR: where to write the PNGs");
        backbone ??= "default";
        if (backbone == "default" && model is not null) throw new UsageException("--model needs --backbone dinov3 or dinov2 (the default backbone is embedded)");
        if (backbone != "default" && model is null) throw new UsageException($"--backbone {backbone} needs --model PATH.onnx (export it with tools/export, see docs/models.md)");
        return new SegmentArguments
        {
            ImagePath = image, Seeds = seeds, Threshold = threshold, Sigma = sigma, Backbone = backbone,
            ModelPath = model, Device = device, OutputDirectory = output, Json = json,
        };
    }

    private static string Value(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count) throw new UsageException($"{args[i]} needs a value");
        return args[++i];
    }

    private static T Once<T>(T? current, string option, T value) =>
        current is null ? value : throw new UsageException($"{option} given twice");

    private static PixelPoint ParsePoint(string option, string text)
    {
        string[] parts = text.Split(',');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int x)
            && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int y))
        {
            return new PixelPoint(x, y);
        }

        throw new UsageException($"{option} expects X,Y in whole pixels (e.g. 120,80), not '{text}'");
    }

    private static float ParseThreshold(string text)
    {
        if (text == "auto") throw new UsageException("--threshold auto is not supported yet; give a number in [-1, 1]");
        return ParseThresholdValue(text);
    }

    /// <summary>A fixed threshold in [-1, 1], as <c>segment</c> and <c>eval</c> take it.</summary>
    internal static float ParseThresholdValue(string text)
    {
        if (float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float t) && t >= -1 && t <= 1) return t;
        throw new UsageException($"--threshold must be a number in [-1, 1], not '{text}'");
    }

    /// <summary>A σ in image pixels, as both <c>segment</c> and <c>bench</c> take it.</summary>
    internal static double ParseSigma(string option, string text)
    {
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s >= 0 && s <= Kernels.AxisWeights.MaxSigma) return s;
        throw new UsageException($"{option} expects σ in [0, {Kernels.AxisWeights.MaxSigma}] pixels, not '{text}'");
    }
}
