using System.Runtime.InteropServices;
using DinoSeg.Kernels;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg;

/// <summary>
/// The image as guide for refinement at the original size: grey levels in [0, 1] and the guide's window mean and variance
/// for the radius in use (computed on first use of a radius, then reused by every click) for
/// <see cref="Refinement.GuidedFilter"/>; the RGB bytes and their contrast scale β for <see cref="Refinement.GrabCut"/>; the
/// working grid and lattice of <see cref="Refinement.DenseCrf"/>.
/// Prepare one per image, next to its features, and attach it to each result with <see cref="SegmentationResult.Guide"/>.
/// </summary>
/// <remarks>Immutable apart from its caches, which are written atomically: safe to share between threads.</remarks>
public sealed class RefinementGuide
{
    private readonly byte[]? _rgb;
    private float[]? _grey; // from the colours on first use: only the guided filter reads it (4 bytes a pixel)
    private Statistics? _statistics;
    private Crf.CrfImage? _crf;
    private double _beta = double.NaN;

    private RefinementGuide(float[]? grey, byte[]? rgb, int width, int height)
    {
        _grey = grey;
        _rgb = rgb;
        Width = width;
        Height = height;
    }

    /// <summary>Guide width (equals the image's).</summary>
    public int Width { get; }

    /// <summary>Guide height.</summary>
    public int Height { get; }

    /// <summary>Grey levels (ITU-R BT.601 luma) in [0, 1], row-major; made from the colours on first read.</summary>
    public ReadOnlySpan<float> Grey => Volatile.Read(ref _grey) ?? MakeGrey();

    /// <summary>The image's colours, 3 bytes (R, G, B) per pixel, row-major; empty for a guide made from grey levels.</summary>
    public ReadOnlySpan<byte> Rgb => _rgb;

    /// <summary>Whether the guide holds the image's colours (<see cref="Refinement.GrabCut"/> and <see cref="Refinement.DenseCrf"/> need them).</summary>
    public bool HasColor => _rgb is not null;

    /// <summary>Makes the guide of a decoded image (the same image the features were extracted from).</summary>
    public static RefinementGuide FromImage(Image<Rgb24> image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var rgb = new byte[3 * image.Width * image.Height];
        int width = image.Width;
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++) MemoryMarshal.AsBytes(rows.GetRowSpan(y)).CopyTo(rgb.AsSpan(3 * y * width, 3 * width));
        });
        return new RefinementGuide(null, rgb, image.Width, image.Height);
    }

    /// <summary>The check both holders of a guide make (features and results): it must be the image's size.</summary>
    internal static void ThrowIfNotSized(RefinementGuide? guide, int width, int height, string paramName)
    {
        if (guide is not null && (guide.Width != width || guide.Height != height))
        {
            throw new ArgumentException($"The guide is {guide.Width}x{guide.Height}, the image {width}x{height}.", paramName);
        }
    }

    /// <summary>The luma of the colours, once: racing threads compute the same values and one array is kept.</summary>
    private float[] MakeGrey()
    {
        byte[] rgb = _rgb!; // a guide made from grey levels has them from the start
        var grey = new float[Width * Height];
        for (int i = 0; i < grey.Length; i++) grey[i] = (0.299f * rgb[3 * i] + 0.587f * rgb[3 * i + 1] + 0.114f * rgb[3 * i + 2]) / 255f;
        return Interlocked.CompareExchange(ref _grey, grey, null) ?? grey;
    }

    /// <summary>Makes the guide of an image decoded by <see cref="DecodedImage"/> (the same image the features were extracted from).</summary>
    /// <exception cref="ObjectDisposedException"><paramref name="image"/> was disposed.</exception>
    public static RefinementGuide FromImage(DecodedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return FromImage(image.Image);
    }

    /// <summary>
    /// Makes a guide from grey levels (any range; ε is in its squared units), e.g. for tests or non-RGB sources. It holds no
    /// colours, so <see cref="Refinement.GrabCut"/> and <see cref="Refinement.DenseCrf"/> cannot use it.
    /// </summary>
    /// <exception cref="ArgumentException">The values are not width × height long.</exception>
    public static RefinementGuide FromGrey(ReadOnlySpan<float> grey, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (grey.Length != width * height) throw new ArgumentException($"Expected {width * height} grey values, found {grey.Length}.", nameof(grey));
        return new RefinementGuide(grey.ToArray(), null, width, height);
    }

    /// <summary>mean(I) and var(I) over the (2r + 1)² window; computed once per radius (the last radius is cached).</summary>
    internal (float[] Mean, float[] Variance) StatisticsFor(int radius)
    {
        Statistics? cached = Volatile.Read(ref _statistics);
        if (cached is not null && cached.Radius == radius) return (cached.Mean, cached.Variance);
        int n = Width * Height;
        var mean = new float[n];
        var variance = new float[n];
        GuidedFilter.GuideStatistics(Grey, Width, Height, radius, mean, variance, new float[2 * n + Width]);
        Volatile.Write(ref _statistics, new Statistics(radius, mean, variance));
        return (mean, variance);
    }

    /// <summary>GrabCut's contrast scale β = 1 / (2·mean‖Δcolour‖²) over the image's neighbour pairs; computed once.</summary>
    internal double Beta
    {
        get
        {
            double beta = Volatile.Read(ref _beta);
            if (double.IsNaN(beta))
            {
                beta = GrabCut.GrabCutSolver.Beta(_rgb, Width, Height); // racing threads compute the same value
                Volatile.Write(ref _beta, beta);
            }

            return beta;
        }
    }

    /// <summary>
    /// The working grid and lattice of <see cref="Refinement.DenseCrf"/> for the bilateral widths θα and θβ; built once per
    /// pair (the last pair is cached) and shared by every click.
    /// </summary>
    internal Crf.CrfImage CrfImageFor(double spatial, double color)
    {
        Crf.CrfImage? cached = Volatile.Read(ref _crf);
        if (cached is not null && cached.Spatial == spatial && cached.Color == color) return cached;
        if (_rgb is null) throw new InvalidOperationException("The CRF needs the image's colours: make the guide with FromImage.");
        Crf.CrfImage built = Crf.CrfImage.Build(_rgb, Width, Height, spatial, color); // racing threads build equal lattices
        Volatile.Write(ref _crf, built);
        return built;
    }

    private sealed record Statistics(int Radius, float[] Mean, float[] Variance);
}
