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

    /// <summary>Default long side of the working image, in pixels (a multiple of <see cref="PatchSize"/>).</summary>
    public int DefaultLongSide { get; init; } = 768;

    /// <summary>Default similarity threshold in [-1, 1] for this backbone's cosine values, chosen from measurements (see docs).</summary>
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
    /// The embedded default: ResNet18 (ImageNet-pretrained, MIT) cut after layer 3, stride 16, 256 channels.
    /// BGR 0–255 input with mean subtraction only; features centred per channel. Works offline, well below DINO quality.
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
        DefaultLongSide = 512,
        DefaultThreshold = 0.2f,
    };

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
    }
}
