using System.Buffers;
using DinoSeg.Kernels;
using DinoSeg.Parallel;

namespace DinoSeg.Pipeline;

/// <summary>
/// The feathered mask in [0, 1]: the binary mask blurred with <see cref="SegmentationOptions.FeatherSigma"/>. A click only
/// marks it out of date; <see cref="SegmentationResult.GetSoftMask"/> makes it, since it costs a full-resolution blur
/// that a click (or a slider move) need not pay.
/// </summary>
internal sealed class SoftMaskStage(ClickBuffers b)
{
    private AxisWeights? _rows;
    private float[] _kernel = [];
    private double _sigma = double.NaN;
    private bool _stale;

    /// <summary>Whether the options ask for a soft mask.</summary>
    public bool Enabled { get; private set; }

    /// <summary>The mask changed: records how its soft mask is to be made (made when first asked for).</summary>
    public void Invalidate(bool enabled, double featherSigma)
    {
        Enabled = enabled;
        _stale = enabled;
        if (enabled && _sigma != featherSigma)
        {
            _rows = AxisWeights.Gaussian(b.Height, featherSigma);
            _kernel = Array.ConvertAll(AxisWeights.GaussianKernel(featherSigma), w => (float)w);
            _sigma = featherSigma;
        }
    }

    /// <summary>The soft mask, made now unless it is current; empty when the options turned it off.</summary>
    public ReadOnlySpan<float> Get()
    {
        if (!Enabled) return [];
        if (_stale)
        {
            int rows = WorkGrains.FilterRows(b.Width);
            if (_kernel.Length > 1) RangeWorkers.Shared.For(new Feather(b, _rows!, _kernel), b.Height, rows);
            else RangeWorkers.Shared.For(new Unit(b), b.Height, rows);
            _stale = false;
        }

        return b.SoftMask;
    }

    private static void ToUnit(ReadOnlySpan<byte> mask, Span<float> unit)
    {
        for (int i = 0; i < mask.Length; i++) unit[i] = mask[i] == 0 ? 0f : 1f;
    }

    /// <summary>No feather (σ = 0): the mask as 0/1 floats.</summary>
    private readonly struct Unit(ClickBuffers b) : IRangeJob
    {
        public void Run(int start, int end) => ToUnit(b.Mask.AsSpan(start * b.Width, (end - start) * b.Width), b.SoftMask.AsSpan(start * b.Width));
    }

    /// <summary>
    /// Output rows [start, end), <see cref="WorkGrains.FeatherBandRows"/> at a time: each band's source rows are turned into
    /// 0/1 floats in a small pooled buffer and blurred by <see cref="GaussianBlur.BlurRows"/> straight into the soft mask.
    /// No image-sized scratch: at 16 megapixels a full-size one was 64 MiB per result.
    /// </summary>
    private readonly struct Feather(ClickBuffers b, AxisWeights rows, float[] kernel) : IRangeJob
    {
        public void Run(int start, int end)
        {
            ReadOnlySpan<int> starts = rows.Starts;
            int width = b.Width;
            float[] unit = [];
            float[] row = ArrayPool<float>.Shared.Rent(width);
            try
            {
                for (int first = start; first < end; first += WorkGrains.FeatherBandRows)
                {
                    int last = Math.Min(first + WorkGrains.FeatherBandRows, end);
                    int low = int.MaxValue, high = 0;
                    for (int o = first; o < last; o++)
                    {
                        low = Math.Min(low, starts[o]);
                        high = Math.Max(high, starts[o] + rows.Taps);
                    }

                    int needed = (high - low) * width;
                    if (unit.Length < needed)
                    {
                        if (unit.Length > 0) ArrayPool<float>.Shared.Return(unit);
                        unit = ArrayPool<float>.Shared.Rent(needed);
                    }

                    ToUnit(b.Mask.AsSpan(low * width, needed), unit);
                    GaussianBlur.BlurRows(unit.AsSpan(0, needed), low, rows, kernel, width, first, last, row, b.SoftMask);
                }
            }
            finally
            {
                if (unit.Length > 0) ArrayPool<float>.Shared.Return(unit);
                ArrayPool<float>.Shared.Return(row);
            }
        }
    }
}
