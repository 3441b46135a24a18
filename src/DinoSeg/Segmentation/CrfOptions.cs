namespace DinoSeg;

/// <summary>
/// The fully-connected CRF of <see cref="Refinement.DenseCrf"/> (Krähenbühl and Koltun 2011): two labels, the unary from the
/// similarity map, a bilateral (position and colour) and a Gaussian (position) kernel with Potts compatibility, solved by
/// mean field. Immutable; change with <c>with</c>.
/// </summary>
/// <remarks>
/// The CRF runs on a working grid: the image scaled down by a whole factor to a long side of at most
/// <see cref="WorkingLongSide"/> pixels (block means of its colours and of the unary). Spatial widths are in pixels of that
/// grid, so they are the same fraction of any image; on an image no larger than the grid they are image pixels.
/// </remarks>
public sealed record CrfOptions
{
    /// <summary>The working grid's largest long side, in pixels.</summary>
    public const int WorkingLongSide = 256;

    /// <summary>
    /// T of the unary: a pixel's prior probability of being the object is logistic((s − t) / T), s its value in the
    /// similarity map and t the click's threshold, so the threshold is the even-odds point and T how sure a given distance
    /// from it is. Default 0.1 (on ranked maps, a tenth of the seed's rank past the threshold gives odds of e ≈ 2.7:1);
    /// chosen with the kernels below from a few runs on the evaluation set (docs/quality.md).
    /// </summary>
    public double Temperature { get; init; } = 0.1;

    /// <summary>
    /// w₁, the bilateral kernel's weight, in units of the unary's log-odds: a pixel whose similar-coloured surroundings are all
    /// object gains w₁ log-odds towards the object, one with none loses w₁. Default 5.
    /// </summary>
    public double BilateralWeight { get; init; } = 5;

    /// <summary>θα, the bilateral kernel's spatial σ in working-grid pixels. Default 40 (about 16 % of the long side).</summary>
    public double BilateralSpatial { get; init; } = 40;

    /// <summary>θβ, the bilateral kernel's colour σ in 8-bit levels per channel. Default 8.</summary>
    public double BilateralColor { get; init; } = 8;

    /// <summary>w₂, the Gaussian (smoothness) kernel's weight, in log-odds like <see cref="BilateralWeight"/>. Default 1.</summary>
    public double SmoothnessWeight { get; init; } = 1;

    /// <summary>θγ, the Gaussian kernel's σ in working-grid pixels. Default 1.</summary>
    public double SmoothnessSpatial { get; init; } = 1;

    /// <summary>Mean-field iterations. Default 5.</summary>
    public int Iterations { get; init; } = 5;

    /// <summary>
    /// Whether the CRF may keep regions of its own: parts of the image the thresholded map left out entirely, which the
    /// colour kernel can pull in when they share the object's colours (the dark nostrils of the README's cat, clicked on its pupil). Default
    /// false: the refined mask keeps only the regions that hold a pixel at or above the threshold, so the CRF moves the
    /// mask's edges and never adds a region. On the evaluation set that raised the photos' one-click IoU 0.684 → 0.686,
    /// boundary F 0.540 → 0.550 and NoC@85 4.48 → 4.03 (NoC@90 6.85 → 6.80; composites NoC@90 1.57 → 1.71): docs/quality.md.
    /// </summary>
    public bool KeepsNewRegions { get; init; }

    /// <summary>The defaults.</summary>
    public static CrfOptions Default { get; } = new();

    internal void Validate()
    {
        if (!(Temperature >= 1e-3 && Temperature <= 1)) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "T must be in [0.001, 1].");
        if (!(BilateralWeight >= 0 && BilateralWeight <= 100)) throw new ArgumentOutOfRangeException(nameof(BilateralWeight), BilateralWeight, "w₁ must be in [0, 100].");
        if (!(BilateralSpatial >= 1 && BilateralSpatial <= WorkingLongSide))
        {
            throw new ArgumentOutOfRangeException(nameof(BilateralSpatial), BilateralSpatial, $"θα must be in [1, {WorkingLongSide}] working-grid pixels.");
        }

        if (!(BilateralColor >= 1 && BilateralColor <= 255)) throw new ArgumentOutOfRangeException(nameof(BilateralColor), BilateralColor, "θβ must be in [1, 255] levels.");
        if (!(SmoothnessWeight >= 0 && SmoothnessWeight <= 100)) throw new ArgumentOutOfRangeException(nameof(SmoothnessWeight), SmoothnessWeight, "w₂ must be in [0, 100].");
        if (!(SmoothnessSpatial >= 0.25 && SmoothnessSpatial <= 16))
        {
            throw new ArgumentOutOfRangeException(nameof(SmoothnessSpatial), SmoothnessSpatial, "θγ must be in [0.25, 16] working-grid pixels.");
        }

        if (Iterations is < 1 or > 50) throw new ArgumentOutOfRangeException(nameof(Iterations), Iterations, "Iterations must be in [1, 50].");
    }
}
