namespace DinoSeg.Evaluation;

/// <summary>The scores of one image.</summary>
/// <param name="Name">Item name.</param>
/// <param name="Width">Image width.</param>
/// <param name="Height">Image height.</param>
/// <param name="FirstClickIoU">IoU after the first click.</param>
/// <param name="FirstClickThreshold">The threshold of the first click (the fixed one, or what the rule chose).</param>
/// <param name="NoC85">Clicks to IoU ≥ 0.85 (the budget when never reached).</param>
/// <param name="NoC90">Clicks to IoU ≥ 0.90 (the budget when never reached).</param>
/// <param name="FinalIoU">IoU after the last click.</param>
/// <param name="Clicks">The clicks, in order.</param>
/// <remarks>An immutable record; thread-safe.</remarks>
public sealed record ImageScore(string Name, int Width, int Height, double FirstClickIoU, float FirstClickThreshold, int NoC85, int NoC90,
    double FinalIoU, IReadOnlyList<Click> Clicks)
{
    /// <summary>The item's group (<see cref="EvaluationItem.Group"/>).</summary>
    public string Group { get; init; } = "";

    /// <summary>IoU after each click, in order (the first is <see cref="FirstClickIoU"/>).</summary>
    public IReadOnlyList<double> IoUs { get; init; } = [];

    /// <summary>
    /// How well the first click's mask outline follows the true one: <see cref="MaskMetrics.BoundaryF"/> at DAVIS's
    /// tolerance (<see cref="MaskMetrics.BoundaryTolerance"/>); NaN when not measured.
    /// </summary>
    public double FirstClickBoundaryF { get; init; } = double.NaN;
}

/// <summary>The means of one group of a report.</summary>
/// <param name="Name">The group ("" for items at the top of the set).</param>
/// <param name="Report">The group's own report.</param>
/// <remarks>An immutable record; thread-safe.</remarks>
public sealed record GroupReport(string Name, EvaluationReport Report);

/// <summary>Scores over a set, with their means.</summary>
/// <param name="Images">Per-image scores.</param>
/// <param name="MaxClicks">The click budget.</param>
/// <remarks>An immutable record; thread-safe.</remarks>
public sealed record EvaluationReport(IReadOnlyList<ImageScore> Images, int MaxClicks)
{
    /// <summary>Mean one-click IoU.</summary>
    public double MeanFirstClickIoU => Images.Average(s => s.FirstClickIoU);

    /// <summary>Mean first-click boundary F-measure (<see cref="ImageScore.FirstClickBoundaryF"/>).</summary>
    public double MeanFirstClickBoundaryF => Images.Average(s => s.FirstClickBoundaryF);

    /// <summary>Mean NoC@85.</summary>
    public double MeanNoC85 => Images.Average(s => s.NoC85);

    /// <summary>Mean NoC@90.</summary>
    public double MeanNoC90 => Images.Average(s => s.NoC90);

    /// <summary>Images that never reached IoU 0.90 within the budget.</summary>
    public int FailuresAt90 => Images.Count(s => s.NoC90 >= MaxClicks && s.FinalIoU < 0.90);

    /// <summary>
    /// Mean IoU after click <paramref name="click"/> (1-based); an image whose run stopped earlier (it reached the protocol's
    /// stop IoU, or its budget) counts with its last IoU.
    /// </summary>
    public double MeanIoUAfter(int click)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(click, 1);
        return Images.Where(s => s.IoUs.Count > 0).Select(s => s.IoUs[Math.Min(click, s.IoUs.Count) - 1]).DefaultIfEmpty(double.NaN).Average();
    }

    /// <summary>The report per group, in the order the groups first appear.</summary>
    public IReadOnlyList<GroupReport> Groups =>
        [.. Images.GroupBy(s => s.Group).Select(g => new GroupReport(g.Key, new EvaluationReport([.. g], MaxClicks)))];
}

/// <summary>
/// Runs the click protocol over an evaluation set: decode, extract, then one-click IoU and NoC@85/90 per image with
/// <see cref="SimilarityClickModel"/>.
/// </summary>
/// <param name="extractor">The backbone runner.</param>
/// <param name="segmenter">The per-click path and its options (refinement needs no more: the guide is made per image).</param>
/// <param name="threshold">Fixed threshold, or null for <paramref name="rule"/>.</param>
/// <param name="rule">Automatic rule when <paramref name="threshold"/> is null.</param>
/// <param name="protocol">The click protocol; RITM's defaults when null.</param>
/// <remarks>Not thread-safe: its click protocol reuses buffers between images; use one evaluator per thread.</remarks>
public sealed class Evaluator(IFeatureExtractor extractor, SimilaritySegmenter segmenter, float? threshold,
    ThresholdRule rule = ThresholdRule.StableSingleSeed, ClickProtocol? protocol = null)
{
    private readonly ClickProtocol _protocol = protocol ?? new ClickProtocol();

    /// <summary>Scores one image.</summary>
    public ImageScore Evaluate(EvaluationItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        using var image = ImageDecoder.Load(item.ImagePath);
        byte[] truth = item.LoadMask(image.Width, image.Height);
        PatchFeatures features = extractor.Extract(image);
        RefinementGuide? guide = segmenter.Options.Refinement == Refinement.None ? null : RefinementGuide.FromImage(image);
        var model = new FirstClickRecorder(new SimilarityClickModel(segmenter, features, threshold, rule, guide), truth, image.Width, image.Height);
        ClickTrace trace = _protocol.Run(model, truth, image.Width, image.Height);
        return new ImageScore(item.Name, image.Width, image.Height, trace.FirstClickIoU, model.FirstThreshold,
            trace.ClicksToReach(0.85), trace.ClicksToReach(0.90), trace.FinalIoU, trace.Clicks)
        {
            Group = item.Group,
            IoUs = trace.IoUs,
            FirstClickBoundaryF = model.FirstBoundaryF,
        };
    }

    /// <summary>Scores every item.</summary>
    public EvaluationReport Evaluate(IEnumerable<EvaluationItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return new EvaluationReport([.. items.Select(Evaluate)], _protocol.MaxClicks);
    }

    /// <summary>The first click's threshold and boundary F-measure, then the model's masks unchanged.</summary>
    private sealed class FirstClickRecorder(SimilarityClickModel inner, byte[] truth, int width, int height) : IClickModel
    {
        public float FirstThreshold { get; private set; } = float.NaN;

        public double FirstBoundaryF { get; private set; } = double.NaN;

        public ReadOnlySpan<byte> Segment(ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives)
        {
            ReadOnlySpan<byte> mask = inner.Segment(positives, negatives);
            if (float.IsNaN(FirstThreshold))
            {
                FirstThreshold = inner.Result.Threshold;
                FirstBoundaryF = MaskMetrics.BoundaryF(mask, truth, width, height, MaskMetrics.BoundaryTolerance(width, height));
            }

            return mask;
        }
    }
}
