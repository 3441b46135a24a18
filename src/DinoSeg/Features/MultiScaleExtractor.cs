using System.Numerics.Tensors;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg;

/// <summary>
/// Multi-scale features: runs several extractors (the same backbone at different working resolutions), resamples every
/// coarser grid onto the finest one (bilinear on the feature vectors, at patch centres, in image-relative coordinates), and
/// fuses per patch by averaging the L2-normalised vectors and normalising the mean again. Same dimension, finest grid:
/// the per-click path does not change.
/// </summary>
/// <remarks>Thread-safe when the wrapped extractors are.</remarks>
public sealed class MultiScaleExtractor : IFeatureExtractor
{
    private readonly IFeatureExtractor[] _scales;
    private readonly bool _ownsScales;

    /// <summary>Wraps extractors of the same backbone that differ in working resolution.</summary>
    /// <param name="scales">Two or more extractors.</param>
    /// <param name="ownsScales">Dispose them with this object.</param>
    /// <exception cref="ArgumentException">Fewer than two, or their backbones differ in name or patch size.</exception>
    public MultiScaleExtractor(IEnumerable<IFeatureExtractor> scales, bool ownsScales = true)
    {
        ArgumentNullException.ThrowIfNull(scales);
        _scales = [.. scales];
        if (_scales.Length < 2) throw new ArgumentException("Multi-scale needs at least two extractors.", nameof(scales));
        if (_scales.Any(s => s is null)) throw new ArgumentException("An extractor is null.", nameof(scales));
        Backbone first = _scales[0].Backbone;
        if (_scales.Any(s => s.Backbone.Name != first.Name || s.Backbone.PatchSize != first.PatchSize))
        {
            throw new ArgumentException("All scales must run the same backbone.", nameof(scales));
        }

        Backbone = first;
        _ownsScales = ownsScales;
    }

    /// <summary>The embedded ResNet18 backbone at each of the given long sides (e.g. 512 and 768).</summary>
    /// <exception cref="ArgumentException">Fewer than two long sides.</exception>
    public static MultiScaleExtractor CreateDefault(IReadOnlyList<int> longSides, ExtractorOptions? options = null) =>
        Create(longSides, OnnxFeatureExtractor.CreateDefault, options);

    /// <summary>
    /// One extractor per long side, each made by <paramref name="create"/> from <paramref name="options"/> with that
    /// <see cref="ExtractorOptions.LongSide"/>; if one fails, those already made are disposed.
    /// </summary>
    /// <param name="longSides">Two or more working long sides, e.g. 512 and 768.</param>
    /// <param name="create">Makes the backbone's extractor for given options, e.g. <c>o =&gt; OnnxFeatureExtractor.Create(path, Backbone.Dinov3, o)</c>.</param>
    /// <param name="options">The options every scale shares; the defaults when null.</param>
    /// <exception cref="ArgumentException">Fewer than two long sides.</exception>
    public static MultiScaleExtractor Create(IReadOnlyList<int> longSides, Func<ExtractorOptions, IFeatureExtractor> create, ExtractorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(longSides);
        ArgumentNullException.ThrowIfNull(create);
        if (longSides.Count < 2) throw new ArgumentException("Give at least two long sides.", nameof(longSides));
        options ??= ExtractorOptions.Default;
        var made = new List<IFeatureExtractor>();
        try
        {
            foreach (int side in longSides) made.Add(create(options with { LongSide = side }));
            return new MultiScaleExtractor(made);
        }
        catch
        {
            foreach (IFeatureExtractor e in made) e.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public Backbone Backbone { get; }

    /// <summary>The wrapped extractors.</summary>
    public IReadOnlyList<IFeatureExtractor> Scales => _scales;

    /// <inheritdoc/>
    public PatchFeatures Extract(Image<Rgb24> image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        var all = new PatchFeatures[_scales.Length];
        for (int i = 0; i < _scales.Length; i++) all[i] = _scales[i].Extract(image, cancellationToken);
        return Fuse(all);
    }

    /// <summary>Fuses features of one image at several grids onto the finest grid (the one with most patches).</summary>
    /// <exception cref="ArgumentException">No features, or they differ in image size or dimension.</exception>
    public static PatchFeatures Fuse(IReadOnlyList<PatchFeatures> scales)
    {
        ArgumentNullException.ThrowIfNull(scales);
        if (scales.Count == 0) throw new ArgumentException("Nothing to fuse.", nameof(scales));
        PatchFeatures fine = scales.MaxBy(f => f.PatchCount)!;
        foreach (PatchFeatures f in scales)
        {
            if (f.ImageWidth != fine.ImageWidth || f.ImageHeight != fine.ImageHeight || f.Dim != fine.Dim)
            {
                throw new ArgumentException("All scales must come from the same image and have the same dimension.", nameof(scales));
            }
        }

        int dim = fine.Dim;
        var sum = new float[fine.PatchCount * dim];
        foreach (PatchFeatures f in scales) AddResampled(f, fine.Rows, fine.Cols, sum);
        // FromVectors normalises each fused vector: the mean of unit vectors, renormalised.
        return PatchFeatures.FromVectors(sum, fine.Rows, fine.Cols, dim, fine.PatchSize, fine.WorkingWidth, fine.WorkingHeight,
            fine.ImageWidth, fine.ImageHeight, fine.Backbone);
    }

    /// <summary>Adds the bilinear resampling of <paramref name="source"/>'s vectors at the patch centres of a rows × cols grid.</summary>
    internal static void AddResampled(PatchFeatures source, int rows, int cols, Span<float> sum)
    {
        int dim = source.Dim;
        Span<float> blend = new float[dim];
        for (int r = 0; r < rows; r++)
        {
            var (r0, r1, fy) = Axis(r, rows, source.Rows);
            for (int c = 0; c < cols; c++)
            {
                var (c0, c1, fx) = Axis(c, cols, source.Cols);
                Span<float> target = sum.Slice((r * cols + c) * dim, dim);
                // Bilinear weights of the four neighbours; the vectors are unit length, so each scale adds a unit-scale vector.
                TensorPrimitives.Multiply(source.GetPatch(r0, c0), (1 - fy) * (1 - fx), blend);
                TensorPrimitives.MultiplyAdd(source.GetPatch(r0, c1), (1 - fy) * fx, blend, blend);
                TensorPrimitives.MultiplyAdd(source.GetPatch(r1, c0), fy * (1 - fx), blend, blend);
                TensorPrimitives.MultiplyAdd(source.GetPatch(r1, c1), fy * fx, blend, blend);
                float norm = TensorPrimitives.Norm(blend);
                if (norm > 0) TensorPrimitives.MultiplyAdd(blend, 1f / norm, target, target);
            }
        }
    }

    /// <summary>Where target cell i's centre falls on a source axis of n cells: the two neighbours and the weight of the second.</summary>
    private static (int Lo, int Hi, float Weight) Axis(int i, int targetCells, int sourceCells)
    {
        double x = (i + 0.5) * sourceCells / targetCells - 0.5;
        x = Math.Clamp(x, 0, sourceCells - 1);
        int lo = (int)Math.Floor(x);
        int hi = Math.Min(lo + 1, sourceCells - 1);
        return (lo, hi, (float)(x - lo));
    }

    /// <summary>Disposes the wrapped extractors if this object owns them.</summary>
    public void Dispose()
    {
        if (!_ownsScales) return;
        foreach (IFeatureExtractor e in _scales) e.Dispose();
    }
}
