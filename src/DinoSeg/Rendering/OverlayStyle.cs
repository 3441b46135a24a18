using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Rendering;

/// <summary>
/// How <see cref="Renderer.Overlay(SixLabors.ImageSharp.Image{Rgb24}, SegmentationResult, OverlayStyle?)"/> draws the mask and the seeds. Immutable; change with <c>with</c>:
/// <c>OverlayStyle.Default with { Opacity = 0.35f }</c>.
/// </summary>
/// <remarks>Immutable and thread-safe; <see cref="Opacity"/> is checked when set.</remarks>
public sealed record OverlayStyle
{
    /// <summary>Tint laid over the selected region. Default dodger blue (30, 144, 255), which stands apart from the red seed marks.</summary>
    public Rgb24 Color { get; init; } = new(30, 144, 255);

    /// <summary>
    /// Opacity of the tint where the mask is fully on, in [0, 1]; each pixel blends with opacity × soft mask. Default 0.5.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a value outside [0, 1].</exception>
    public float Opacity
    {
        get;
        init
        {
            if (!(value >= 0f && value <= 1f)) throw new ArgumentOutOfRangeException(nameof(Opacity), value, "Opacity must be in [0, 1].");
            field = value;
        }
    } = 0.5f;

    /// <summary>Colour of the seed circle and of the seed's patch square. Default pure red.</summary>
    public Rgb24 SeedColor { get; init; } = new(255, 0, 0);

    /// <summary>Colour of a negative seed's circle and patch square. Default cyan (0, 255, 255), apart from the red positives.</summary>
    public Rgb24 NegativeSeedColor { get; init; } = new(0, 255, 255);

    /// <summary>Colour of the box prompt's outline. Default gold (255, 215, 0).</summary>
    public Rgb24 BoxColor { get; init; } = new(255, 215, 0);

    /// <summary>
    /// Whether to draw the prompt: each seed (positive and negative) as a circle with its patch as a square outline, and the
    /// box prompt's outline. Default true.
    /// </summary>
    public bool DrawSeeds { get; init; } = true;

    /// <summary>The defaults.</summary>
    public static OverlayStyle Default { get; } = new();
}
