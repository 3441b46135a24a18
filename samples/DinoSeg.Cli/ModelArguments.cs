namespace DinoSeg.Cli;

/// <summary>The backbone a command line asked for (<see cref="ModelOptions"/>), and how to load it.</summary>
internal sealed record ModelArguments
{
    public string Backbone { get; init; } = DinoSeg.Backbone.DefaultName;

    public string? ModelPath { get; init; }

    /// <summary>--long-side: the working long side, or null for the backbone's default.</summary>
    public int? LongSide { get; init; }

    public ExecutionDevice Device { get; init; } = ExecutionDevice.Auto;

    /// <summary>The backbone preset the option names.</summary>
    public Backbone Preset => DinoSeg.Backbone.FromName(Backbone);

    /// <summary>Whether the backbone ships inside the package (no --model).</summary>
    public bool Embedded => Preset.IsEmbedded;

    /// <summary>The backbone at its one working size (--long-side or its default).</summary>
    public OnnxFeatureExtractor CreateExtractor() =>
        LibraryCheck.Run(() => Create(new ExtractorOptions { Device = Device, LongSide = LongSide }), LongSideOption);

    /// <summary>The backbone at its one working size, or a <see cref="MultiScaleExtractor"/> over the --scales long sides.</summary>
    public IFeatureExtractor CreateExtractor(int[] scales)
    {
        if (scales.Length == 0) return CreateExtractor();
        if (LongSide is not null) throw new UsageException("--long-side and --scales exclude each other (--scales gives every long side)");
        return LibraryCheck.Run(() => MultiScaleExtractor.Create(scales, Create, new ExtractorOptions { Device = Device }), ScalesOption);
    }

    private OnnxFeatureExtractor Create(ExtractorOptions options) => Embedded
        ? OnnxFeatureExtractor.CreateDefault(Preset, options)
        : OnnxFeatureExtractor.Create(ModelPath!, Preset, options);

    private static readonly Dictionary<string, string> LongSideOption = new() { [nameof(ExtractorOptions.LongSide)] = "--long-side" };

    // With --scales, every long side the library sees is one of them.
    private static readonly Dictionary<string, string> ScalesOption = new() { [nameof(ExtractorOptions.LongSide)] = "--scales", ["longSides"] = "--scales" };
}
