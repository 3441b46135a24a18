namespace DinoSeg.Cli;

/// <summary>The backbone a command line asked for (<see cref="ModelOptions"/>), and how to load it.</summary>
internal sealed record ModelArguments
{
    public string Backbone { get; init; } = DinoSeg.Backbone.DefaultName;

    public string? ModelPath { get; init; }

    /// <summary>--long-side: the working long side, or null for the backbone's default.</summary>
    public int? LongSide { get; init; }

    public ExecutionDevice Device { get; init; } = ExecutionDevice.Auto;

    /// <summary>eval's --block-weights: one weight per fused block of the preset, or null for the preset's own.</summary>
    public float[]? BlockWeights { get; init; }

    /// <summary>The backbone preset the option names, with --block-weights applied.</summary>
    public Backbone Preset
    {
        get
        {
            Backbone preset = DinoSeg.Backbone.FromName(Backbone);
            if (BlockWeights is null) return preset;
            if (preset.Blocks.Count == 0)
            {
                throw new UsageException($"--block-weights needs a backbone that fuses several outputs (the embedded resnet18-s16 or resnet18-l3); {preset.Name} reads one");
            }

            return LibraryCheck.Run(() => preset.WithBlockWeights(BlockWeights), BlockWeightsOption);
        }
    }

    /// <summary>Whether the backbone ships inside the package (no --model).</summary>
    public bool Embedded => Preset.IsEmbedded;

    /// <summary>The backbone at its one working size (--long-side or its default).</summary>
    public OnnxFeatureExtractor CreateExtractor() =>
        LibraryCheck.Run(() => Create(new ExtractorOptions { Device = Device, LongSide = LongSide }), SingleScaleOptions);

    /// <summary>The backbone at its one working size, or a <see cref="MultiScaleExtractor"/> over the --scales long sides.</summary>
    public IFeatureExtractor CreateExtractor(int[] scales)
    {
        if (scales.Length == 0) return CreateExtractor();
        if (LongSide is not null) throw new UsageException("--long-side and --scales exclude each other (--scales gives every long side)");
        return LibraryCheck.Run(() => MultiScaleExtractor.Create(scales, Create, new ExtractorOptions { Device = Device }), ScalesOptions);
    }

    private OnnxFeatureExtractor Create(ExtractorOptions options) => Embedded
        ? OnnxFeatureExtractor.CreateDefault(Preset, options)
        : OnnxFeatureExtractor.Create(ModelPath!, Preset, options);

    private static readonly Dictionary<string, string> SingleScaleOptions = new()
    {
        [nameof(ExtractorOptions.LongSide)] = "--long-side",
        [nameof(DinoSeg.Backbone.Blocks)] = "--block-weights", // a weight the preset's validation refuses
    };

    // The library names the parameter "weights" when the count does not fit the preset's blocks.
    private static readonly Dictionary<string, string> BlockWeightsOption = new() { ["weights"] = "--block-weights" };

    // With --scales, every long side the library sees is one of them.
    private static readonly Dictionary<string, string> ScalesOptions = new()
    {
        [nameof(ExtractorOptions.LongSide)] = "--scales",
        ["longSides"] = "--scales",
        [nameof(DinoSeg.Backbone.Blocks)] = "--block-weights",
    };
}
