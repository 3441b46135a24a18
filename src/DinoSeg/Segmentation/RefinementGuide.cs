using System.Runtime.InteropServices;
using DinoSeg.Kernels;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg;

/// <summary>
/// The image as guide for <see cref="Refinement.GuidedFilter"/>: grey levels in [0, 1] at the original size, plus the guide's
/// window mean and variance for the radius in use (computed on first use of a radius, then reused by every click).
/// Prepare one per image, next to its features, and attach it to each result with <see cref="SegmentationResult.Guide"/>.
/// </summary>
/// <remarks>Immutable apart from its statistics cache, which is swapped atomically: safe to share between threads.</remarks>
public sealed class RefinementGuide
{
    private readonly float[] _grey;
    private Statistics? _statistics;

    private RefinementGuide(float[] grey, int width, int height)
    {
        _grey = grey;
        Width = width;
        Height = height;
    }

    /// <summary>Guide width (equals the image's).</summary>
    public int Width { get; }

    /// <summary>Guide height.</summary>
    public int Height { get; }

    /// <summary>Grey levels (ITU-R BT.601 luma) in [0, 1], row-major.</summary>
    public ReadOnlySpan<float> Grey => _grey;

    /// <summary>Makes the guide of a decoded image (the same image the features were extracted from).</summary>
    public static RefinementGuide FromImage(Image<Rgb24> image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var grey = new float[image.Width * image.Height];
        int width = image.Width;
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                ReadOnlySpan<byte> row = MemoryMarshal.AsBytes(rows.GetRowSpan(y));
                Span<float> g = grey.AsSpan(y * width, width);
                for (int x = 0; x < width; x++) g[x] = (0.299f * row[3 * x] + 0.587f * row[3 * x + 1] + 0.114f * row[3 * x + 2]) / 255f;
            }
        });
        return new RefinementGuide(grey, image.Width, image.Height);
    }

    /// <summary>Makes a guide from grey levels (any range; ε is in its squared units), e.g. for tests or non-RGB sources.</summary>
    /// <exception cref="ArgumentException">The values are not width × height long.</exception>
    public static RefinementGuide FromGrey(ReadOnlySpan<float> grey, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (grey.Length != width * height) throw new ArgumentException($"Expected {width * height} grey values, found {grey.Length}.", nameof(grey));
        return new RefinementGuide(grey.ToArray(), width, height);
    }

    /// <summary>mean(I) and var(I) over the (2r + 1)² window; computed once per radius (the last radius is cached).</summary>
    internal (float[] Mean, float[] Variance) StatisticsFor(int radius)
    {
        Statistics? cached = Volatile.Read(ref _statistics);
        if (cached is not null && cached.Radius == radius) return (cached.Mean, cached.Variance);
        int n = Width * Height;
        var mean = new float[n];
        var variance = new float[n];
        GuidedFilter.GuideStatistics(_grey, Width, Height, radius, mean, variance, new float[2 * n + Width]);
        Volatile.Write(ref _statistics, new Statistics(radius, mean, variance));
        return (mean, variance);
    }

    private sealed record Statistics(int Radius, float[] Mean, float[] Variance);
}
