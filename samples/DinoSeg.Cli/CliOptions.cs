using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace DinoSeg.Cli;

/// <summary>
/// The option groups the commands share, each defined once and added to every command that takes it. Options only parse
/// the text (a number, X,Y, a name); whether a value is in range is the library's to say (see <see cref="LibraryCheck"/>).
/// </summary>
internal static class CliOptions
{
    /// <summary>An option whose value is a name from <paramref name="names"/>: suggested on completion, anything else a parse error.</summary>
    public static Option<string> Named(string name, string description, IEnumerable<string> names, string? defaultName = null)
    {
        var option = new Option<string>(name) { Description = description, HelpName = string.Join('|', names) };
        option.AcceptOnlyFromAmong([.. names]);
        if (defaultName is not null) option.DefaultValueFactory = _ => defaultName;
        return option;
    }

    /// <summary>A value parsed from one token by <paramref name="parse"/>, which returns null when the text has the wrong shape.</summary>
    public static Option<T?> Parsed<T>(string name, string description, string helpName, string shape, Func<string, T?> parse)
        where T : struct => new(name)
        {
            Description = description,
            HelpName = helpName,
            CustomParser = result => Single(result, shape, parse),
        };

    /// <summary>A repeatable option whose every value is parsed by <paramref name="parse"/>.</summary>
    public static Option<List<T>> Repeated<T>(string name, string description, string helpName, string shape, Func<string, T?> parse)
        where T : struct => new(name)
        {
            Description = description,
            HelpName = helpName,
            CustomParser = result =>
            {
                var values = new List<T>(result.Tokens.Count);
                foreach (Token token in result.Tokens)
                {
                    if (parse(token.Value) is { } value) values.Add(value);
                    else result.AddError(ShapeError(result, shape, token.Value));
                }

                return values;
            },
        };

    private static T? Single<T>(ArgumentResult result, string shape, Func<string, T?> parse)
        where T : struct
    {
        string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (parse(text) is { } value) return value;
        result.AddError(ShapeError(result, shape, text));
        return null;
    }

    private static string ShapeError(ArgumentResult result, string shape, string text) =>
        $"{(result.Parent as OptionResult)?.Option.Name} expects {shape}, not '{text}'";

    /// <summary>X,Y in whole pixels.</summary>
    public static PixelPoint? ParsePoint(string text) =>
        Integers(text, 2) is [int x, int y] ? new PixelPoint(x, y) : null;

    /// <summary>X0,Y0,X1,Y1 in whole pixels (whether it fits the image is the library's check).</summary>
    public static PixelRect? ParseBox(string text) =>
        Integers(text, 4) is [int x0, int y0, int x1, int y1] ? new PixelRect(x0, y0, x1, y1) : null;

    /// <summary>Exactly <paramref name="count"/> (0: any number of) comma-separated whole numbers, or null.</summary>
    public static int[]? Integers(string text, int count)
    {
        string[] parts = text.Split(',');
        if (count > 0 && parts.Length != count) return null;
        var values = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out values[i])) return null;
        }

        return values;
    }

    /// <summary>Exactly <paramref name="count"/> (0: any number of) comma-separated numbers, or null.</summary>
    public static double[]? Numbers(string text, int count)
    {
        string[] parts = text.Split(',');
        if (count > 0 && parts.Length != count) return null;
        var values = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i])) return null;
        }

        return values;
    }

    /// <summary>A --threshold value: a number (its range is the library's check), or "auto" (a value of null).</summary>
    public static Option<ThresholdArgument?> Threshold(string description) => Parsed<ThresholdArgument>("--threshold", description, "T|auto", "a number or auto",
        text => text == "auto" ? new ThresholdArgument(null)
            : float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float t) ? new ThresholdArgument(t) : null);

    /// <summary>--json: one JSON object on stdout instead of the text report.</summary>
    public static Option<bool> Json(string description) => new("--json") { Description = description };

    /// <summary>Whether the command line gave <paramref name="option"/> (not just its default), for a validator's checks.</summary>
    public static bool Given(this CommandResult result, Option option) => result.GetResult(option) is { Implicit: false };
}

/// <summary>A threshold option as given: a value, or none for "auto" (distinct from the option being absent).</summary>
internal readonly record struct ThresholdArgument(float? Value);

/// <summary>The names the command line gives the library's enums, in both directions, and the help that lists them.</summary>
internal static class Names
{
    public static readonly (string Name, ThresholdRule Value)[] Rules =
    [
        ("ranked-otsu", ThresholdRule.RankedOtsu), ("otsu", ThresholdRule.Otsu), ("patch-otsu", ThresholdRule.PatchOtsu),
        ("seed-median", ThresholdRule.SeedMedianMidpoint), ("stable", ThresholdRule.StableMask), ("stable-single", ThresholdRule.StableSingleSeed),
    ];

    public static readonly (string Name, Refinement Value)[] Refinements =
        [("none", Refinement.None), ("guided", Refinement.GuidedFilter), ("grabcut", Refinement.GrabCut), ("crf", Refinement.DenseCrf)];

    public static readonly (string Name, Propagation Value)[] Propagations = [("graph", Propagation.Graph), ("none", Propagation.None)];

    public static readonly (string Name, ExecutionDevice Value)[] Devices = [("auto", ExecutionDevice.Auto), ("cpu", ExecutionDevice.Cpu), ("cuda", ExecutionDevice.Cuda)];

    public static IEnumerable<string> Of<T>((string Name, T Value)[] table) => table.Select(e => e.Name);

    /// <summary>The value a name stands for (the option accepted only these names).</summary>
    public static T Value<T>((string Name, T Value)[] table, string name) => table.First(e => e.Name == name).Value;

    /// <summary>The name of a value, as text and JSON print it.</summary>
    public static string Name<T>((string Name, T Value)[] table, T value) => table.First(e => EqualityComparer<T>.Default.Equals(e.Value, value)).Name;
}

/// <summary>
/// The options that choose and load the backbone: <c>--backbone</c>, <c>--model</c>, <c>--device</c>, <c>--long-side</c>.
/// </summary>
internal sealed class ModelOptions
{
    // The names are the library's presets (Backbone.PresetNames), so a preset added there is one here.
    public Option<string> Backbone { get; } = CliOptions.Named("--backbone",
        "default or resnet18-s16 (embedded ResNet18, layers 2+3+4 fused, no download), resnet18-l3 (embedded, layer 3 alone, as before), " +
        "dinov3, dinov3-sat, dinov2 or dinov2-reg (need --model)",
        DinoSeg.Backbone.PresetNames, DinoSeg.Backbone.DefaultName);

    public Option<string?> Model { get; } = new("--model") { Description = "exported backbone (see docs/models.md)", HelpName = "PATH.onnx" };

    public Option<string> Device { get; } = CliOptions.Named("--device",
        "auto (CUDA if usable, else CPU), cpu, or cuda (fails if CUDA is unusable; the dinoseg tool ships the CPU runtime only)",
        Names.Of(Names.Devices), "auto");

    public Option<int?> LongSide { get; } = new("--long-side")
    {
        Description = $"working long side in pixels, up to {ExtractorOptions.MaxLongSide} (default: the backbone's, 512 for the embedded one)",
        HelpName = "PX",
    };

    /// <summary>Adds the group to <paramref name="command"/>, with the check that --backbone and --model fit together.</summary>
    /// <param name="modelOptional">When true (segment --features), a dinov3/dinov2 backbone may come without --model.</param>
    public ModelOptions(Command command, Func<CommandResult, bool>? modelOptional = null)
    {
        command.Options.Add(Backbone);
        command.Options.Add(Model);
        command.Options.Add(Device);
        command.Options.Add(LongSide);
        command.Validators.Add(result =>
        {
            // Validators run before defaults are filled in: an absent option reads as null.
            string backbone = result.GetValue(Backbone) ?? DinoSeg.Backbone.DefaultName;
            bool embedded = DinoSeg.Backbone.FromName(backbone).IsEmbedded, hasModel = result.GetValue(Model) is not null;
            if (embedded && hasModel) result.AddError($"--model needs a backbone that is not embedded, e.g. --backbone dinov3 (the {backbone} backbone is embedded)");
            if (!embedded && !hasModel && modelOptional?.Invoke(result) != true)
            {
                result.AddError($"--backbone {backbone} needs --model PATH.onnx (export it with tools/export, see docs/models.md)");
            }
        });
    }

    public ModelArguments Read(ParseResult parse) => new()
    {
        Backbone = parse.GetValue(Backbone)!,
        ModelPath = parse.GetValue(Model),
        Device = Names.Value(Names.Devices, parse.GetValue(Device)!),
        LongSide = parse.GetValue(LongSide),
    };
}

/// <summary>The prompt: <c>--seed</c>, and where the command takes them, <c>--negative</c>, <c>--box</c>, <c>--box-margin</c>.</summary>
internal sealed class PromptOptions
{
    public Option<List<PixelPoint>> Seeds { get; }

    public Option<List<PixelPoint>>? Negatives { get; }

    public Option<PixelRect?>? Box { get; }

    public Option<double?>? BoxMargin { get; }

    /// <param name="seedHelp">What a seed is for this command.</param>
    /// <param name="seedsOnly">True where the command takes seeds alone (propagate: the first frame's seeds).</param>
    public PromptOptions(Command command, string seedHelp, bool seedsOnly = false)
    {
        Seeds = CliOptions.Repeated("--seed", seedHelp, "X,Y", "X,Y in whole pixels (e.g. 120,80)", CliOptions.ParsePoint);
        command.Options.Add(Seeds);
        if (seedsOnly) return;
        Negatives = CliOptions.Repeated("--negative",
            "negative seed (repeatable): a pixel is selected only where its similarity to the seeds is above its similarity to every negative seed, and reaches the threshold",
            "X,Y", "X,Y in whole pixels (e.g. 120,80)", CliOptions.ParsePoint);
        Box = CliOptions.Parsed<PixelRect>("--box",
            "box around the object (X1, Y1 exclusive): its mean patch feature acts as one more seed, and nothing beyond the box plus a margin is selected",
            "X0,Y0,X1,Y1", "X0,Y0,X1,Y1 in whole pixels (e.g. 40,30,200,180)", CliOptions.ParseBox);
        BoxMargin = new Option<double?>("--box-margin") { Description = "that margin, as a fraction of the box's width and height (default 0.1)", HelpName = "F" };
        command.Options.Add(Negatives);
        command.Options.Add(Box);
        command.Options.Add(BoxMargin);
        command.Validators.Add(result =>
        {
            if (result.Given(BoxMargin) && !result.Given(Box)) result.AddError("--box-margin needs --box");
        });
    }
}

/// <summary>
/// How a click becomes a mask, as <c>segment</c> and <c>eval</c> share it: threshold and rule, smoothing, propagation,
/// refinement, the region clean-up, and extraction at several scales.
/// </summary>
internal sealed class MaskOptions
{
    public Option<ThresholdArgument?> Threshold { get; } = CliOptions.Threshold(
        "threshold in [-1, 1], or auto (the default): chosen per click from the map by --rule (see docs/quality.md); on a ranked map (the default propagation) a fixed T is a fraction of the seed's rank, 0.3 to 0.5 being useful");

    public Option<string> Rule { get; } = CliOptions.Named("--rule",
        "rule for auto: stable-single (default: stable for a click of one seed alone refined by crf or guided; with more seeds or negatives ranked-otsu, never below the first seed's stable threshold; ranked-otsu with a box, without refinement or with grabcut), ranked-otsu (Otsu held within [0.3, 0.5] on ranked maps: one mask finish per click), otsu, patch-otsu, seed-median, stable (the ladder threshold whose finished mask, refinement included, changes least when the threshold rises one step: 10 mask finishes per click)",
        Names.Of(Names.Rules));

    public Option<double?> Sigma { get; } = new("--sigma") { Description = "Gaussian σ in image pixels applied to the similarity map before the threshold (default 4)", HelpName = "PX" };

    public Option<string> Refine { get; } = CliOptions.Named("--refine",
        "crf (default), none, guided or grabcut: a fully-connected CRF (mean field with colour and position kernels on a 256-px working grid), nothing (the plain mask on the 16-px patch grid, the fastest), guided filter with the image as guide, or GrabCut (colour models and a graph cut in a band around the mask edge), so mask edges follow image edges",
        Names.Of(Names.Refinements), DefaultRefinement);

    /// <summary>The library's default refinement, by its CLI name: one default for the library and every command.</summary>
    public static string DefaultRefinement => Names.Name(Names.Refinements, SegmentationOptions.Default.Refinement);

    public Option<string> PropagationOption { get; } = CliOptions.Named("--propagation",
        "graph (default): rank the similarity over the image's patch graph, so one click selects the whole region rather than the parts like the seed patch; none: plain cosine similarity (a fixed T is then a cosine)",
        Names.Of(Names.Propagations), "graph");

    public Option<int[]?> Scales { get; } = new("--scales")
    {
        Description = "extract at several long sides and fuse them (e.g. 512,768: better masks, one extraction per side; see docs/quality.md); default: the backbone's one working size",
        HelpName = "S1,S2,...",
        CustomParser = result =>
        {
            string text = result.Tokens[0].Value;
            if (CliOptions.Integers(text, 0) is { } sides) return sides;
            result.AddError($"--scales expects comma-separated whole numbers (e.g. 512,768), not '{text}'");
            return null;
        },
    };

    public Option<bool> KeepSeedRegions { get; } = new("--keep-seed-regions") { Description = "keep only the connected regions (8-connected) that hold a seed or overlap the box" };

    public Option<int> MinArea { get; } = new("--min-area") { Description = "remove regions smaller than PX pixels (regions holding a seed or overlapping the box stay)", HelpName = "PX" };

    public Option<int> FillHoles { get; } = new("--fill-holes") { Description = "fill holes of up to PX pixels (not those touching the image border or holding a negative)", HelpName = "PX" };

    public Option<int> Smooth { get; } = new("--smooth")
    {
        Description = $"smooth the mask outline with a majority filter of radius R pixels, up to {SegmentationOptions.MaxSmoothRadius} (0: off)",
        HelpName = "R",
    };

    public MaskOptions(Command command)
    {
        foreach (Option option in new Option[] { Threshold, Rule, Sigma, Refine, PropagationOption, Scales, KeepSeedRegions, MinArea, FillHoles, Smooth })
        {
            command.Options.Add(option);
        }

        command.Validators.Add(result =>
        {
            if (result.Given(Rule) && result.GetValue(Threshold) is { Value: not null }) result.AddError("--rule only applies with --threshold auto");
        });
    }

    public float? FixedThreshold(ParseResult parse) => parse.GetValue(Threshold)?.Value;

    public ThresholdRule RuleValue(ParseResult parse) =>
        parse.GetValue(Rule) is { } name ? Names.Value(Names.Rules, name) : SegmentationOptions.Default.ThresholdRule;

    public Refinement RefinementValue(ParseResult parse) => Names.Value(Names.Refinements, parse.GetValue(Refine)!);

    public Propagation PropagationValue(ParseResult parse) => Names.Value(Names.Propagations, parse.GetValue(PropagationOption)!);

    public int[] ScalesValue(ParseResult parse) => parse.GetValue(Scales) ?? [];

    /// <summary>The library's options with these values set; the library checks them when a segmenter is made.</summary>
    public SegmentationOptions Apply(ParseResult parse, SegmentationOptions options) => options with
    {
        SimilaritySigma = parse.GetValue(Sigma) ?? options.SimilaritySigma,
        Refinement = RefinementValue(parse),
        Propagation = PropagationValue(parse),
        ThresholdRule = RuleValue(parse),
        KeepSeedRegionsOnly = parse.GetValue(KeepSeedRegions),
        MinRegionArea = parse.GetValue(MinArea),
        FillHolesArea = parse.GetValue(FillHoles),
        SmoothRadius = parse.GetValue(Smooth),
    };

    /// <summary>Which option set each <see cref="SegmentationOptions"/> property these options fill.</summary>
    public static readonly Dictionary<string, string> LibraryNames = new()
    {
        [nameof(SegmentationOptions.SimilaritySigma)] = "--sigma",
        [nameof(SegmentationOptions.MinRegionArea)] = "--min-area",
        [nameof(SegmentationOptions.FillHolesArea)] = "--fill-holes",
        [nameof(SegmentationOptions.SmoothRadius)] = "--smooth",
        [nameof(SegmentationOptions.BoxMargin)] = "--box-margin",
    };
}
