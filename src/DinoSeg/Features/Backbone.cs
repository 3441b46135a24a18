namespace DinoSeg;

/// <summary>Order of the colour channels a model expects.</summary>
public enum ChannelOrder
{
    /// <summary>Red, green, blue (DINOv2, DINOv3, most PyTorch models).</summary>
    Rgb,

    /// <summary>Blue, green, red (Caffe/CNTK-era models such as the embedded ResNet18).</summary>
    Bgr,
}

/// <summary>
/// One output of a multi-output backbone (<see cref="Backbone.Blocks"/>): a <c>[1, channels, H/stride, W/stride]</c>
/// feature map that is resampled onto the patch grid, centred and L2-normalised on its own, then weighted.
/// </summary>
/// <param name="Output">Name of the ONNX output, e.g. <c>ReLU347_Output_0</c>.</param>
/// <param name="Stride">Working pixels per cell of that map. A finer stride than the patch size must divide it (cells are
/// averaged, e.g. 2×2 for stride 8 on a 16-px grid); a coarser one must be a multiple of it (bilinear upsampling).</param>
/// <param name="Weight">Factor on the block's unit vectors before the concatenation is normalised; 0 leaves the block out:
/// its output is not read, and for the embedded ResNet18 a layer-4 weight of 0 also skips running layer 4 (its own model
/// part) and the multiple-of-32 working size it needs.</param>
public sealed record FeatureBlock(string Output, int Stride, float Weight = 1f);

/// <summary>
/// What DinoSeg must know about a backbone to feed it and read its output: patch size, prefix tokens, input normalisation.
/// Use a preset (<see cref="Dinov3"/>, <see cref="Dinov3Satellite"/>, <see cref="Dinov2"/>, <see cref="ResNet18"/>) or change one with <c>with</c>.
/// </summary>
/// <remarks>
/// Immutable and thread-safe. Values are checked when an extractor is created from it (an
/// <see cref="ArgumentException"/> naming the property), not when each one is set.
/// </remarks>
public sealed record Backbone
{
    /// <summary>Short name recorded with the features, e.g. "dinov3".</summary>
    public required string Name { get; init; }

    /// <summary>Side of one patch in working pixels (the backbone's total stride); working sizes are multiples of it.</summary>
    public required int PatchSize { get; init; }

    /// <summary>Whether a token-sequence output starts with a class token.</summary>
    public bool HasClassToken { get; init; } = true;

    /// <summary>Register ("storage") tokens that follow the class token in a token-sequence output.</summary>
    public int RegisterTokens { get; init; }

    /// <summary>Tokens before the first patch token: class token plus registers.</summary>
    public int PrefixTokens => (HasClassToken ? 1 : 0) + RegisterTokens;

    /// <summary>Channel order of the model input.</summary>
    public ChannelOrder ChannelOrder { get; init; } = ChannelOrder.Rgb;

    /// <summary>Factor from 0–255 bytes to the model's pixel range before mean and std apply (1/255 for [0, 1]).</summary>
    public float PixelScale { get; init; } = 1f / 255f;

    /// <summary>Per-channel mean in R, G, B order, in the scaled pixel range.</summary>
    public required IReadOnlyList<float> Mean { get; init; }

    /// <summary>Per-channel standard deviation in R, G, B order, in the scaled pixel range.</summary>
    public required IReadOnlyList<float> Std { get; init; }

    /// <summary>Centre every feature channel on its mean over the image before L2 normalisation (needed for post-ReLU CNN features).</summary>
    public bool CentreFeatures { get; init; }

    /// <summary>
    /// Outputs to fuse into one vector per patch; empty (the default) reads the model's first output alone, as a token
    /// sequence or a feature map at stride <see cref="PatchSize"/>. With blocks, each block of weight &gt; 0 is read from
    /// its named output, resampled onto the <see cref="PatchSize"/> grid (finer maps: mean of the cells a patch covers;
    /// coarser maps: bilinear, align-corners false), centred per channel over the image when <see cref="CentreFeatures"/>
    /// is set, L2-normalised on its own and multiplied by its weight; the blocks are concatenated in list order and the
    /// concatenation is L2-normalised. A single block at stride <see cref="PatchSize"/> gives exactly the features the
    /// single-output path gives for that output.
    /// </summary>
    /// <remarks>
    /// Change weights with <see cref="WithBlockWeights"/>, e.g. <c>Backbone.ResNet18.WithBlockWeights(0.5f, 1f, 0.5f)</c>.
    /// The working size is a multiple of <see cref="WorkingMultiple"/>, which grows with the coarsest block used.
    /// </remarks>
    public IReadOnlyList<FeatureBlock> Blocks { get; init; } = [];

    /// <summary>
    /// Both sides of the working image are multiples of this: <see cref="PatchSize"/>, or with <see cref="Blocks"/> the
    /// least common multiple of it and every used block's stride (the coarsest stride, 32, for <see cref="ResNet18"/>;
    /// 16 when its layer-4 block has weight 0).
    /// </summary>
    public int WorkingMultiple
    {
        get
        {
            int multiple = PatchSize;
            foreach (FeatureBlock block in Blocks ?? [])
            {
                if (block is not { Weight: > 0, Stride: > 0 }) continue;
                long lcm = (long)multiple / Gcd(multiple, block.Stride) * block.Stride;
                multiple = (int)Math.Min(lcm, int.MaxValue);
            }

            return multiple;
        }
    }

    /// <summary>The blocks with weight &gt; 0, in list order: the outputs an extractor reads.</summary>
    internal IEnumerable<FeatureBlock> UsedBlocks => Blocks.Where(b => b.Weight > 0);

    /// <summary>This backbone with new block weights, one per entry of <see cref="Blocks"/>, in order.</summary>
    /// <exception cref="ArgumentException">Not one weight per block.</exception>
    public Backbone WithBlockWeights(params ReadOnlySpan<float> weights)
    {
        if (weights.Length != Blocks.Count)
        {
            throw new ArgumentException($"Give one weight per block: {Blocks.Count} ({string.Join(", ", Blocks.Select(b => b.Output))}), found {weights.Length}.", nameof(weights));
        }

        var blocks = new FeatureBlock[weights.Length];
        for (int i = 0; i < blocks.Length; i++) blocks[i] = Blocks[i] with { Weight = weights[i] };
        return this with { Blocks = blocks };
    }

    /// <summary>Default long side of the working image, in pixels (rounded to a multiple of <see cref="WorkingMultiple"/>).</summary>
    public int DefaultLongSide { get; init; } = 768;

    /// <summary>
    /// Default threshold in [-1, 1] for this backbone's plain cosine maps (<see cref="Propagation.None"/>), chosen from
    /// measurements (see docs). Ranked maps use <see cref="GraphOptions.DefaultThreshold"/>.
    /// </summary>
    public float DefaultThreshold { get; init; } = 0.5f;

    private static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    /// <summary>DINOv3 ViT (any size) with web-image (LVD-1689M) weights: patch 16, class token + 4 registers, ImageNet mean/std.</summary>
    public static Backbone Dinov3 { get; } = new()
    {
        Name = "dinov3",
        PatchSize = 16,
        RegisterTokens = 4,
        Mean = ImageNetMean,
        Std = ImageNetStd,
        DefaultLongSide = 768,
        DefaultThreshold = 0.5f,
    };

    /// <summary>DINOv3 with satellite (SAT-493M) weights: as <see cref="Dinov3"/> with the satellite mean/std.</summary>
    public static Backbone Dinov3Satellite { get; } = Dinov3 with
    {
        Name = "dinov3-sat",
        Mean = [0.430f, 0.411f, 0.296f],
        Std = [0.213f, 0.156f, 0.143f],
    };

    /// <summary>DINOv2 ViT: patch 14, class token, 0 registers (or 4 for the <c>_reg</c> variants), ImageNet mean/std.</summary>
    /// <param name="registers">0 for plain DINOv2, 4 for DINOv2 with registers.</param>
    public static Backbone Dinov2(int registers = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(registers);
        return new Backbone
        {
            Name = registers == 0 ? "dinov2" : "dinov2-reg",
            PatchSize = 14,
            RegisterTokens = registers,
            Mean = ImageNetMean,
            Std = ImageNetStd,
            DefaultLongSide = 770,
            DefaultThreshold = 0.5f,
        };
    }

    /// <summary>
    /// The embedded default: ResNet18 (ImageNet-pretrained, MIT) on a stride-16 grid, fusing three of its blocks into
    /// 896 channels: layer 2 (stride 8, 128 channels, 2×2 mean) weight 0.5, layer 3 (stride 16, 256 channels) weight 1 and
    /// layer 4's second block (stride 32, 512 channels, bilinear) weight 0.5. Working sides are multiples of 32.
    /// BGR 0–255 input with mean subtraction only; every block centred per channel. Works offline, well below DINO quality.
    /// </summary>
    public static Backbone ResNet18 { get; } = new()
    {
        Name = "resnet18-s16",
        PatchSize = 16,
        HasClassToken = false,
        ChannelOrder = ChannelOrder.Bgr,
        PixelScale = 1f,
        Mean = [123.15f, 115.90f, 103.06f],
        Std = [1f, 1f, 1f],
        CentreFeatures = true,
        Blocks =
        [
            new FeatureBlock("ReLU315_Output_0", 8, 0.5f),  // layer 2
            new FeatureBlock("ReLU347_Output_0", 16, 1f),   // layer 3
            new FeatureBlock("ReLU379_Output_0", 32, 0.5f), // layer 4, second block
        ],
        DefaultLongSide = 512,
        DefaultThreshold = 0.2f,
    };

    /// <summary>
    /// The embedded ResNet18 as DinoSeg used it before blocks were fused: layer 3 alone (stride 16, 256 channels), working
    /// sides multiples of 16. Its features are bit for bit those of the earlier layer-3 model; use it to compare.
    /// </summary>
    public static Backbone ResNet18Layer3 { get; } = ResNet18.WithBlockWeights(0f, 1f, 0f) with { Name = "resnet18-l3" };

    /// <summary>
    /// Whether this describes a model that ships inside the package (a ResNet18 preset, possibly changed with <c>with</c>),
    /// so <see cref="OnnxFeatureExtractor.CreateDefault(Backbone, ExtractorOptions?)"/> loads it; every other backbone needs
    /// an exported ONNX file (<see cref="OnnxFeatureExtractor.Create(string, Backbone, ExtractorOptions?)"/>).
    /// </summary>
    public bool IsEmbedded => Name == ResNet18.Name || Name == ResNet18Layer3.Name;

    /// <summary>The name <see cref="FromName"/> reads as <see cref="ResNet18"/>: the embedded backbone DinoSeg uses by default.</summary>
    public const string DefaultName = "default";

    /// <summary>
    /// Every preset, in the order tools list them: <see cref="ResNet18"/>, <see cref="ResNet18Layer3"/>, <see cref="Dinov3"/>,
    /// <see cref="Dinov3Satellite"/>, <see cref="Dinov2"/> and DINOv2 with registers.
    /// </summary>
    public static IReadOnlyList<Backbone> Presets { get; } = [ResNet18, ResNet18Layer3, Dinov3, Dinov3Satellite, Dinov2(), Dinov2(registers: 4)];

    /// <summary>The names <see cref="FromName"/> accepts: <see cref="DefaultName"/>, then each preset's <see cref="Name"/>.</summary>
    public static IReadOnlyList<string> PresetNames { get; } = [DefaultName, .. Presets.Select(p => p.Name)];

    /// <summary>
    /// The preset called <paramref name="name"/> (case-insensitive; <see cref="DefaultName"/> is <see cref="ResNet18"/>), for
    /// command lines and configuration files that name a backbone.
    /// </summary>
    /// <exception cref="ArgumentException">No preset has that name; the message lists those that do.</exception>
    public static Backbone FromName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (string.Equals(name, DefaultName, StringComparison.OrdinalIgnoreCase)) return ResNet18;
        return Presets.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"No backbone preset is called '{name}'; expected one of {string.Join(", ", PresetNames)}.", nameof(name));
    }

    /// <summary>Checks every field; called when an extractor is created, so a bad preset fails before a model loads.</summary>
    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name)) throw new ArgumentException("A backbone needs a name.", nameof(Name));
        if (PatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(PatchSize), PatchSize, "Patch size must be positive.");
        if (RegisterTokens < 0) throw new ArgumentOutOfRangeException(nameof(RegisterTokens), RegisterTokens, "Register tokens cannot be negative.");
        if (!Enum.IsDefined(ChannelOrder)) throw new ArgumentOutOfRangeException(nameof(ChannelOrder), ChannelOrder, "Unknown channel order.");
        if (!(float.IsFinite(PixelScale) && PixelScale > 0)) throw new ArgumentOutOfRangeException(nameof(PixelScale), PixelScale, "Pixel scale must be finite and positive.");
        if (Mean is null || Mean.Count != 3) throw new ArgumentException("Mean needs exactly 3 values (R, G, B).", nameof(Mean));
        if (Std is null || Std.Count != 3) throw new ArgumentException("Std needs exactly 3 values (R, G, B).", nameof(Std));
        if (Mean.Any(m => !float.IsFinite(m))) throw new ArgumentException("Every Mean value must be finite.", nameof(Mean));
        if (Std.Any(s => !(float.IsFinite(s) && s > 0))) throw new ArgumentException("Every Std value must be finite and positive.", nameof(Std));
        if (DefaultLongSide < PatchSize) throw new ArgumentOutOfRangeException(nameof(DefaultLongSide), DefaultLongSide, "Long side must be at least one patch.");
        if (DefaultLongSide > ExtractorOptions.MaxLongSide)
        {
            throw new ArgumentOutOfRangeException(nameof(DefaultLongSide), DefaultLongSide, $"Long side above {ExtractorOptions.MaxLongSide} px is not supported.");
        }

        if (!(DefaultThreshold >= -1 && DefaultThreshold <= 1)) throw new ArgumentOutOfRangeException(nameof(DefaultThreshold), DefaultThreshold, "Threshold must be in [-1, 1].");
        ValidateBlocks();
    }

    private void ValidateBlocks()
    {
        if (Blocks is null) throw new ArgumentException("Blocks must not be null; use [] for a single-output backbone.", nameof(Blocks));
        if (Blocks.Count == 0) return;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (FeatureBlock? block in Blocks)
        {
            if (block is null) throw new ArgumentException("A block is null.", nameof(Blocks));
            if (string.IsNullOrWhiteSpace(block.Output)) throw new ArgumentException("Every block needs an output name.", nameof(Blocks));
            if (!names.Add(block.Output)) throw new ArgumentException($"Output '{block.Output}' is listed twice.", nameof(Blocks));
            if (block.Stride <= 0 || (block.Stride % PatchSize != 0 && PatchSize % block.Stride != 0))
            {
                throw new ArgumentException($"Block '{block.Output}' has stride {block.Stride}: it must divide the patch size {PatchSize} or be a multiple of it.", nameof(Blocks));
            }

            if (!(float.IsFinite(block.Weight) && block.Weight >= 0))
            {
                throw new ArgumentException($"Block '{block.Output}' has weight {block.Weight}: weights must be finite and at least 0.", nameof(Blocks));
            }
        }

        if (!Blocks.Any(b => b.Weight > 0)) throw new ArgumentException("At least one block needs a weight above 0.", nameof(Blocks));
        if (WorkingMultiple > ExtractorOptions.MaxLongSide)
        {
            throw new ArgumentException($"The block strides need working sides that are multiples of {WorkingMultiple}, above {ExtractorOptions.MaxLongSide} px.", nameof(Blocks));
        }
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }
}
