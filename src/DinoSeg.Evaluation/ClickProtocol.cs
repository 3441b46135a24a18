namespace DinoSeg.Evaluation;

/// <summary>
/// The interactive-segmentation protocol of RITM (Sofiiuk et al., 2022) that NoC@85 / NoC@90 are defined by. The first
/// click is the object's interior point farthest from its border. Each next click goes to the error pixel farthest from
/// the border of its error region (distance transform of the missed and the falsely selected pixels, the image border
/// counting as a boundary): positive when that pixel was missed, negative when it was falsely selected (a tie goes
/// negative, as in RITM); ties between pixels go to the first in row-major order. Clicking stops when the IoU reaches
/// <see cref="StopIoU"/> or after <see cref="MaxClicks"/> clicks.
/// </summary>
/// <remarks>Holds scratch buffers: use one instance per thread.</remarks>
public sealed class ClickProtocol
{
    private readonly DistanceTransform _transform = new();
    private double[] _missed = [], _extra = [];
    private byte[] _error = [];

    /// <summary>Creates the protocol.</summary>
    /// <param name="maxClicks">Most clicks per image (RITM: 20).</param>
    /// <param name="stopIoU">IoU at which clicking stops; NoC is only defined for targets up to this (default 0.90).</param>
    public ClickProtocol(int maxClicks = DefaultMaxClicks, double stopIoU = 0.90)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxClicks);
        if (!(stopIoU > 0 && stopIoU <= 1)) throw new ArgumentOutOfRangeException(nameof(stopIoU), stopIoU, "The stopping IoU must be in (0, 1].");
        MaxClicks = maxClicks;
        StopIoU = stopIoU;
    }

    /// <summary>RITM's click budget.</summary>
    public const int DefaultMaxClicks = 20;

    /// <summary>Most clicks per image.</summary>
    public int MaxClicks { get; }

    /// <summary>IoU at which clicking stops.</summary>
    public double StopIoU { get; }

    /// <summary>The first click: the object's interior pixel farthest from its border (and from the image border).</summary>
    /// <exception cref="ArgumentException">The truth mask is empty or not width × height long.</exception>
    public PixelPoint FirstClick(ReadOnlySpan<byte> truth, int width, int height)
    {
        if (truth.IndexOfAnyExcept((byte)0) < 0) throw new ArgumentException("The truth mask selects nothing: there is no object to click.", nameof(truth));
        Span<double> distance = Buffer(ref _missed, truth.Length);
        _transform.Compute(truth, width, height, distance);
        return PointAt(ArgMax(distance, out _), width);
    }

    /// <summary>The next click for a prediction, or null when the prediction equals the truth.</summary>
    /// <exception cref="ArgumentException">The masks are not width × height long.</exception>
    public Click? NextClick(ReadOnlySpan<byte> predicted, ReadOnlySpan<byte> truth, int width, int height)
    {
        if (predicted.Length != truth.Length) throw new ArgumentException($"Masks differ in length: {predicted.Length} and {truth.Length}.", nameof(predicted));
        Span<byte> error = Buffer(ref _error, truth.Length);
        Span<double> missed = Buffer(ref _missed, truth.Length), extra = Buffer(ref _extra, truth.Length);

        for (int i = 0; i < truth.Length; i++) error[i] = truth[i] != 0 && predicted[i] == 0 ? (byte)1 : (byte)0;
        _transform.Compute(error, width, height, missed);
        for (int i = 0; i < truth.Length; i++) error[i] = truth[i] == 0 && predicted[i] != 0 ? (byte)1 : (byte)0;
        _transform.Compute(error, width, height, extra);

        int missedAt = ArgMax(missed, out double missedMax), extraAt = ArgMax(extra, out double extraMax);
        if (missedMax == 0 && extraMax == 0) return null;
        return missedMax > extraMax ? new Click(PointAt(missedAt, width), true) : new Click(PointAt(extraAt, width), false);
    }

    /// <summary>Runs the protocol on one image: clicks, segments, measures, until <see cref="StopIoU"/> or <see cref="MaxClicks"/>.</summary>
    /// <exception cref="ArgumentException">The truth mask is empty or not width × height long, or the model returns a mask of another size.</exception>
    public ClickTrace Run(IClickModel model, ReadOnlySpan<byte> truth, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (truth.Length != width * height) throw new ArgumentException($"The truth mask must hold {width * height} values, found {truth.Length}.", nameof(truth));
        var clicks = new List<Click> { new(FirstClick(truth, width, height), true) };
        var ious = new List<double>();
        var positives = new List<PixelPoint>();
        var negatives = new List<PixelPoint>();
        while (true)
        {
            Click last = clicks[^1];
            (last.Positive ? positives : negatives).Add(last.Point);
            ReadOnlySpan<byte> predicted = model.Segment(positives.ToArray(), negatives.ToArray());
            if (predicted.Length != truth.Length) throw new ArgumentException($"The model returned {predicted.Length} mask values for a {width}x{height} image.", nameof(model));
            double iou = MaskMetrics.IoU(predicted, truth);
            ious.Add(iou);
            if (iou >= StopIoU || clicks.Count == MaxClicks) break;
            if (NextClick(predicted, truth, width, height) is not { } next) break;
            clicks.Add(next);
        }

        return new ClickTrace(clicks, ious, MaxClicks);
    }

    private static Span<T> Buffer<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new T[length];
        return buffer.AsSpan(0, length);
    }

    private static int ArgMax(ReadOnlySpan<double> values, out double max)
    {
        int at = 0;
        max = values[0];
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > max)
            {
                max = values[i];
                at = i;
            }
        }

        return at;
    }

    private static PixelPoint PointAt(int index, int width) => new(index % width, index / width);
}

/// <summary>The clicks of one protocol run and the IoU after each.</summary>
/// <remarks>Filled by one protocol run, then only read; do not share one trace between runs that are still going.</remarks>
public sealed class ClickTrace
{
    internal ClickTrace(IReadOnlyList<Click> clicks, IReadOnlyList<double> ious, int maxClicks)
    {
        Clicks = clicks;
        IoUs = ious;
        MaxClicks = maxClicks;
    }

    /// <summary>The clicks in order; the first is always positive.</summary>
    public IReadOnlyList<Click> Clicks { get; }

    /// <summary>IoU after each click (same length as <see cref="Clicks"/>).</summary>
    public IReadOnlyList<double> IoUs { get; }

    /// <summary>The click budget of the run.</summary>
    public int MaxClicks { get; }

    /// <summary>IoU after the first click.</summary>
    public double FirstClickIoU => IoUs[0];

    /// <summary>IoU after the last click.</summary>
    public double FinalIoU => IoUs[^1];

    /// <summary>NoC@target: clicks needed to reach <paramref name="iou"/>, or <see cref="MaxClicks"/> when never reached (RITM's convention).</summary>
    public int ClicksToReach(double iou)
    {
        for (int i = 0; i < IoUs.Count; i++)
        {
            if (IoUs[i] >= iou) return i + 1;
        }

        return MaxClicks;
    }
}
