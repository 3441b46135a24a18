using System.Globalization;

namespace DinoSeg.Cli;

/// <summary>
/// The model options every extracting command shares (<c>--backbone</c>, <c>--model</c>, <c>--device</c>), and the
/// small argument helpers the newer commands use.
/// </summary>
internal sealed record ModelArguments
{
    public const string Help = """
          --backbone NAME     default (embedded ResNet18, layers 2+3+4 fused, no download), resnet18-l3 (embedded,
                              layer 3 alone, as before), dinov3 or dinov2 (need --model)
          --long-side PX      working long side in [16, 4096] (default: the backbone's, 512 for the embedded one)
          --model PATH.onnx   exported backbone (see docs/models.md)
          --device D          auto (CUDA if usable, else CPU), cpu, or cuda (fails if CUDA is unusable; the dinoseg tool ships the CPU runtime only)
        """;

    public string Backbone { get; init; } = "default";

    public bool BackboneGiven { get; init; }

    public string? ModelPath { get; init; }

    /// <summary>--long-side: the working long side, or null for the backbone's default.</summary>
    public int? LongSide { get; init; }

    public ExecutionDevice Device { get; init; } = ExecutionDevice.Auto;

    /// <summary>Consumes args[i] (and its value) if it is a model option; returns whether it was.</summary>
    public static bool TryTake(IReadOnlyList<string> args, ref int i, ref ModelArguments model)
    {
        switch (args[i])
        {
            case "--backbone":
                if (model.BackboneGiven) throw new UsageException("--backbone given twice");
                model = model with
                {
                    BackboneGiven = true,
                    Backbone = Value(args, ref i) switch
                    {
                        var name when name is "default" or Layer3 or "dinov3" or "dinov2" => name,
                        var other => throw new UsageException($"--backbone must be default, {Layer3}, dinov3 or dinov2, not '{other}'"),
                    },
                };
                return true;
            case "--model":
                if (model.ModelPath is not null) throw new UsageException("--model given twice");
                model = model with { ModelPath = Value(args, ref i) };
                return true;
            case "--device":
                model = model with { Device = ParseDevice(Value(args, ref i)) };
                return true;
            case "--long-side":
                model = model with { LongSide = Once(model.LongSide, "--long-side", ParseInt("--long-side", Value(args, ref i), 16, 4096)) };
                return true;
            default:
                return false;
        }
    }

    /// <summary>The embedded ResNet18 read from layer 3 alone, as before layers 2 and 4 were fused (Backbone.ResNet18Layer3).</summary>
    public const string Layer3 = "resnet18-l3";

    private bool Embedded => Backbone is "default" or Layer3;

    /// <summary>Checks that --backbone and --model fit together.</summary>
    public ModelArguments Validated()
    {
        if (Embedded && ModelPath is not null) throw new UsageException($"--model needs --backbone dinov3 or dinov2 (the {Backbone} backbone is embedded)");
        if (!Embedded && ModelPath is null) throw new UsageException($"--backbone {Backbone} needs --model PATH.onnx (export it with tools/export, see docs/models.md)");
        return this;
    }

    /// <summary>The backbone preset the option names.</summary>
    public Backbone Preset => Backbone switch
    {
        Layer3 => DinoSeg.Backbone.ResNet18Layer3,
        "dinov3" => DinoSeg.Backbone.Dinov3,
        "dinov2" => DinoSeg.Backbone.Dinov2(),
        _ => DinoSeg.Backbone.ResNet18,
    };

    public OnnxFeatureExtractor CreateExtractor() => CreateExtractor(Backbone, ModelPath, new ExtractorOptions { Device = Device, LongSide = LongSide });

    /// <summary>As <see cref="CreateExtractor(string, string?, ExecutionDevice, int[])"/> with this --long-side (not with --scales).</summary>
    public IFeatureExtractor CreateExtractor(int[] scales)
    {
        if (LongSide is not null && scales.Length > 0) throw new UsageException("--long-side and --scales exclude each other (--scales gives every long side)");
        return scales.Length == 0 ? CreateExtractor() : CreateExtractor(Backbone, ModelPath, Device, scales);
    }

    /// <summary>Loads the named backbone (the embedded one for "default").</summary>
    public static OnnxFeatureExtractor CreateExtractor(string backbone, string? modelPath, ExecutionDevice device) =>
        CreateExtractor(backbone, modelPath, new ExtractorOptions { Device = device });

    /// <summary>The backbone at its one working size, or a <see cref="MultiScaleExtractor"/> over the given long sides.</summary>
    public static IFeatureExtractor CreateExtractor(string backbone, string? modelPath, ExecutionDevice device, int[] scales)
    {
        var options = new ExtractorOptions { Device = device };
        return scales.Length == 0
            ? CreateExtractor(backbone, modelPath, options)
            : MultiScaleExtractor.Create(scales, o => CreateExtractor(backbone, modelPath, o), options);
    }

    private static OnnxFeatureExtractor CreateExtractor(string backbone, string? modelPath, ExtractorOptions options) => backbone switch
    {
        "dinov3" => OnnxFeatureExtractor.Create(modelPath!, DinoSeg.Backbone.Dinov3, options),
        "dinov2" => OnnxFeatureExtractor.Create(modelPath!, DinoSeg.Backbone.Dinov2(), options),
        Layer3 => OnnxFeatureExtractor.CreateDefault(DinoSeg.Backbone.ResNet18Layer3, options),
        _ => OnnxFeatureExtractor.CreateDefault(options),
    };

    /// <summary>--scales S1,S2,…: two or more long sides in [16, 4096].</summary>
    public static int[] ParseScales(string text)
    {
        string[] parts = text.Split(',');
        var sides = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++) sides[i] = ParseInt("--scales", parts[i], 16, 4096);
        if (sides.Length < 2) throw new UsageException($"--scales needs two or more long sides, e.g. 512,768, not '{text}'");
        return sides;
    }

    /// <summary>A --device value.</summary>
    public static Propagation ParsePropagation(string text) => text switch
    {
        "none" => Propagation.None,
        "graph" => Propagation.Graph,
        _ => throw new UsageException($"--propagation must be none or graph, not '{text}'"),
    };

    public static ExecutionDevice ParseDevice(string text) => text switch
    {
        "auto" => ExecutionDevice.Auto,
        "cpu" => ExecutionDevice.Cpu,
        "cuda" => ExecutionDevice.Cuda,
        var other => throw new UsageException($"--device must be auto, cpu or cuda, not '{other}'"),
    };

    public static int ParseInt(string option, string text, int min, int max) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= min && v <= max
            ? v
            : throw new UsageException($"{option} expects a whole number in [{min}, {max}], not '{text}'");

    /// <summary>The default threshold of the preset whose name the features carry (0.5 for names DinoSeg does not know).</summary>
    public static float DefaultThresholdFor(string backboneName)
    {
        Backbone[] presets = [DinoSeg.Backbone.ResNet18, DinoSeg.Backbone.ResNet18Layer3, DinoSeg.Backbone.Dinov3, DinoSeg.Backbone.Dinov3Satellite, DinoSeg.Backbone.Dinov2(), DinoSeg.Backbone.Dinov2(4)];
        return presets.FirstOrDefault(p => p.Name == backboneName)?.DefaultThreshold ?? 0.5f;
    }

    public static string Value(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count) throw new UsageException($"{args[i]} needs a value");
        return args[++i];
    }

    public static T Once<T>(T? current, string option, T value) =>
        current is null ? value : throw new UsageException($"{option} given twice");

    /// <summary>X,Y in whole pixels.</summary>
    public static bool TryParsePoint(string text, out PixelPoint point)
    {
        string[] parts = text.Split(',');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int x)
            && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int y))
        {
            point = new PixelPoint(x, y);
            return true;
        }

        point = default;
        return false;
    }

    public static PixelPoint ParsePoint(string option, string text) =>
        TryParsePoint(text, out PixelPoint p) ? p : throw new UsageException($"{option} expects X,Y in whole pixels (e.g. 120,80), not '{text}'");

    public static bool TryParseThreshold(string text, out float threshold) =>
        float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out threshold) && threshold >= -1 && threshold <= 1;

    /// <summary>A number in [-1, 1], or "auto" (a <see cref="ThresholdArgument"/> with no value: the library's rule).</summary>
    public static ThresholdArgument ParseThresholdOrAuto(string option, string text) =>
        text == "auto" ? new ThresholdArgument(null) : new ThresholdArgument(ParseThreshold(option, text));

    public static float ParseThreshold(string option, string text) =>
        TryParseThreshold(text, out float t) ? t : throw new UsageException($"{option} must be a number in [-1, 1], not '{text}'");

    /// <summary>Throws a usage error when a seed lies outside the image.</summary>
    public static void CheckInside(PixelPoint seed, int width, int height, string what)
    {
        if (seed.X < 0 || seed.Y < 0 || seed.X >= width || seed.Y >= height)
        {
            throw new UsageException($"{what} {seed} lies outside the {width}x{height} image (0 ≤ x < {width}, 0 ≤ y < {height})");
        }
    }

    public static bool WantsHelp(IReadOnlyList<string> args) => args.Contains("--help") || args.Contains("-h");
}

/// <summary>A threshold option as given: a value, or none for "auto" (distinct from the option being absent).</summary>
internal readonly record struct ThresholdArgument(float? Value);
