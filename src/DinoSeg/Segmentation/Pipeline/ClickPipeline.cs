using System.Numerics.Tensors;

namespace DinoSeg.Pipeline;

/// <summary>
/// The per-click engine behind a <see cref="SegmentationResult"/>: it owns the click's buffers (<see cref="ClickBuffers"/>)
/// and runs the stages in order — similarity → propagation → upsample → gate → map refinement → threshold → mask refinement
/// → regions → soft mask (on request) — one file per stage beside this one. <see cref="SimilaritySegmenter"/> checks the
/// arguments and calls one of the three entry points: a click at a given threshold, a click whose threshold a rule reads
/// off its map, and the slider.
/// </summary>
/// <remarks>Every buffer is made on first use and reused, so a click into a used result allocates nothing.</remarks>
internal sealed class ClickPipeline
{
    private readonly SegmentationResult _view;
    private readonly PropagationStage _propagation;
    private readonly UpsampleStage _upsample;
    private readonly FusedClickStage _fused;
    private readonly MapRefineStage _mapRefine;
    private readonly MaskRefineStage _maskRefine;
    private readonly RegionStage _regions;
    private readonly SoftMaskStage _softMask;
    private FirstSeedLadder _firstSeed;

    /// <param name="features">The features whose size the buffers take.</param>
    /// <param name="view">The result this engine fills (the threshold rules read the map through it).</param>
    public ClickPipeline(PatchFeatures features, SegmentationResult view)
    {
        _view = view;
        Buffers = new ClickBuffers(features);
        _propagation = new PropagationStage(Buffers);
        _upsample = new UpsampleStage(Buffers);
        _fused = new FusedClickStage(Buffers);
        _mapRefine = new MapRefineStage(Buffers);
        _maskRefine = new MaskRefineStage(Buffers);
        _regions = new RegionStage(Buffers);
        _softMask = new SoftMaskStage(Buffers);
    }

    public ClickBuffers Buffers { get; }

    /// <summary>Whether the latest click asked for a soft mask.</summary>
    public bool HasSoftMask => _softMask.Enabled;

    /// <summary>Conjugate-gradient iterations of the latest ranked click (positive and negative maps together); 0 otherwise.</summary>
    public int RankingIterations => _propagation.Iterations;

    /// <inheritdoc cref="MaskRefineStage.GrabCutIterations"/>
    public int GrabCutIterations => _maskRefine.GrabCutIterations;

    /// <inheritdoc cref="MaskRefineStage.GrabCutBandPixels"/>
    public int GrabCutBandPixels => _maskRefine.GrabCutBandPixels;

    /// <inheritdoc cref="MaskRefineStage.CrfProbabilities"/>
    public ReadOnlySpan<float> CrfProbabilities => _maskRefine.CrfProbabilities;

    /// <inheritdoc cref="MaskRefineStage.SequentialCrf"/>
    public bool SequentialCrf
    {
        get => _maskRefine.SequentialCrf;
        set => _maskRefine.SequentialCrf = value;
    }

    /// <summary>A click at <paramref name="threshold"/> (the arguments are checked by the caller).</summary>
    public void Click(PatchFeatures features, ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives, PixelRect? box,
        SegmentationOptions options, float threshold)
    {
        Map(features, positives, negatives, box, options, threshold, barrierThreshold: threshold);
        FinishMask(options);
    }

    /// <summary>A click whose threshold <paramref name="rule"/> reads off the click's own map.</summary>
    public void Click(PatchFeatures features, ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives, PixelRect? box,
        SegmentationOptions options, ThresholdRule rule)
    {
        LadderUse ladder = AutoThreshold.LadderFor(rule, positives.Length, negatives.Length, box is not null, options.Refinement);
        // The floor first: when it is not kept, finding it maps the first seed alone, which this click's map then replaces.
        float floor = ladder == LadderUse.FirstSeedFloor ? FirstSeedThreshold(features, positives[0], options) : float.NaN;

        // The map depends on the threshold only through the later seeds' barrier: build it with the floor's barrier, then
        // apply the threshold the rule reads off it.
        Map(features, positives, negatives, box, options, 1f, barrierThreshold: floor);
        float threshold = ladder switch
        {
            LadderUse.Ladder => StableThreshold(options),
            LadderUse.FirstSeedFloor => AutoThreshold.Floored(AutoThreshold.Compute(rule, _view), floor, _view),
            _ => AutoThreshold.Compute(rule, _view),
        };
        // The barrier is a fraction of the click's threshold: above the floor, the map is built again at the one chosen, so
        // this click equals a click at that fixed threshold.
        if (ladder == LadderUse.FirstSeedFloor && threshold != floor && BarrierApplies(positives.Length, box, options))
        {
            Map(features, positives, negatives, box, options, 1f, barrierThreshold: threshold);
        }

        if (ladder == LadderUse.Ladder && positives.Length == 1 && negatives.IsEmpty && box is null)
        {
            RememberFirstSeed(features, positives[0], options, threshold);
        }
        ThresholdStage.Apply(Buffers, threshold);
        Buffers.AutoRule = rule;
        FinishMask(options);
    }

    /// <summary>The slider: a new threshold on the existing map, then the mask steps again.</summary>
    public void Rethreshold(SegmentationOptions options, float threshold)
    {
        ThresholdStage.Apply(Buffers, threshold);
        Buffers.AutoRule = null;
        FinishMask(options);
    }

    /// <summary>
    /// The threshold <paramref name="rule"/> gives the current click, the result left as it was: a ladder rule finishes the
    /// mask at each of its thresholds, then once more at the click's own.
    /// </summary>
    public float ChooseThreshold(ThresholdRule rule)
    {
        LadderUse ladder = AutoThreshold.LadderFor(rule, _view);
        if (ladder == LadderUse.None) return AutoThreshold.Compute(rule, _view);
        ClickBuffers b = Buffers;
        SegmentationOptions options = b.Options!;
        if (ladder == LadderUse.FirstSeedFloor && KeepsFirstSeed(b.Features!, b.Seeds[0], options))
        {
            return AutoThreshold.Floored(AutoThreshold.Compute(rule, _view), _firstSeed.Threshold, _view);
        }

        float kept = b.Threshold;
        ThresholdRule? keptRule = b.AutoRule;
        float chosen;
        if (ladder == LadderUse.Ladder)
        {
            chosen = StableThreshold(options);
            if (b.Seeds.Count == 1 && b.NegativeSeeds.Count == 0 && b.Box is null) RememberFirstSeed(b.Features!, b.Seeds[0], options, chosen);
        }
        else
        {
            // Finding the floor maps the first seed alone: the prompt's own map is built again afterwards (the same bits).
            PatchFeatures features = b.Features!;
            PixelPoint[] seeds = [.. b.Seeds], negatives = [.. b.NegativeSeeds];
            PixelRect? box = b.Box;
            float barrierThreshold = b.BarrierThreshold;
            float floor = FirstSeedThreshold(features, seeds[0], options);
            Map(features, seeds, negatives, box, options, 1f, barrierThreshold);
            chosen = AutoThreshold.Floored(AutoThreshold.Compute(rule, _view), floor, _view);
        }

        ThresholdStage.Apply(b, kept);
        b.AutoRule = keptRule;
        FinishMask(options);
        return chosen;
    }

    /// <summary>
    /// Whether <see cref="ChooseThreshold"/> with <paramref name="rule"/> would run the ladder: on this prompt, or on its first
    /// seed alone when that seed's ladder threshold is not kept from an earlier click.
    /// </summary>
    public bool ChoosesByLadder(ThresholdRule rule) => AutoThreshold.LadderFor(rule, _view) switch
    {
        LadderUse.Ladder => true,
        LadderUse.FirstSeedFloor => !KeepsFirstSeed(Buffers.Features!, Buffers.Seeds[0], Buffers.Options!),
        _ => false,
    };

    /// <summary>The soft mask of the current mask, made now unless it is current; empty when the options turned it off.</summary>
    public ReadOnlySpan<float> SoftMask() => _softMask.Get();

    /// <summary>
    /// Everything up to the thresholded, map-refined mask; <paramref name="barrierThreshold"/> is the threshold the later
    /// seeds' barrier is a fraction of (<see cref="GraphOptions.LaterSeedBarrier"/>), NaN for none.
    /// </summary>
    private void Map(PatchFeatures features, ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives, PixelRect? box,
        SegmentationOptions options, float threshold, float barrierThreshold)
    {
        ClickBuffers b = Buffers;
        b.Options = options;
        b.Features = features;
        b.BarrierThreshold = barrierThreshold;
        b.SetPrompt(positives, negatives, box, options.BoxMargin);
        if (box is PixelRect rect) SimilarityStage.BoxPrototype(features, rect, b.BoxVector);
        bool ranked = options.Propagation == Propagation.Graph;
        b.Propagation = options.Propagation;
        _upsample.Prepare(options.SimilaritySigma);
        if (!ranked) _propagation.Skip();
        if (negatives.IsEmpty && box is null && !ranked && SimilarityStage.TryCombineIntoOneVector(b, features, positives, box: false, options.SeedCombine))
        {
            // The common click: one pass over the features, pipelined with the upsampling.
            _fused.Run(features, _upsample.Rows!, _upsample.Cols!, threshold);
        }
        else
        {
            if (ranked)
            {
                float barrier = BarrierApplies(positives.Length, box, options) ? (float)options.Graph.LaterSeedBarrier * barrierThreshold : float.NaN;
                _propagation.Run(features, positives, negatives, box is not null, options, barrier);
            }
            else
            {
                SimilarityStage.Positive(b, features, positives, box is not null, options.SeedCombine);
                if (!negatives.IsEmpty) SimilarityStage.Negative(b, features, negatives);
            }

            Upsample(threshold);
        }

        b.MapWritten();
        if (options.Refinement == Refinement.GuidedFilter)
        {
            _mapRefine.Run(_view.Guide!, options.RefineRadius, (float)options.RefineEpsilon);
            ThresholdStage.Apply(b, threshold);
        }

        b.AutoRule = null;
    }

    /// <summary>
    /// The staged upsampling: s⁺ to image size and, with negative seeds, the margin s⁺ − w·s⁻ too (w is
    /// <see cref="GraphOptions.NegativeWeight"/> on ranked maps, 1 on plain ones; the map is linear in the patch values, so
    /// upsampling the margin equals the difference of the upsampled maps); then the gate.
    /// </summary>
    private void Upsample(float threshold)
    {
        ClickBuffers b = Buffers;
        if (b.NegativeSeeds.Count > 0)
        {
            float weight = b.Propagation == Propagation.Graph ? (float)b.Options!.Graph.NegativeWeight : 1f;
            TensorPrimitives.MultiplyAdd(b.NegativeSimilarity, -weight, b.PatchSimilarity, b.PatchMargin);
            _upsample.Run(b.PatchMargin, b.EnsureMargin(), 0f, writeBounds: false);
        }

        // Gating rewrites the map, so the gate takes the bounds afterwards.
        bool gated = GateStage.Applies(b);
        _upsample.Run(b.PatchSimilarity, b.Similarity, threshold, writeBounds: !gated);
        b.Threshold = threshold;
        if (gated) GateStage.Run(b);
    }

    /// <summary>The steps after every final threshold (a click's, a rule's, the slider's): mask refinement, regions, soft mask.</summary>
    private void FinishMask(SegmentationOptions options)
    {
        _maskRefine.Run(options.Refinement, _view.Guide, options.Crf);
        _regions.Run(options);
        _softMask.Invalidate(options.ComputeSoftMask, options.FeatherSigma);
    }

    /// <summary>
    /// The ladder threshold of <paramref name="seed"/> alone: kept from the click that found it while the features, the
    /// seed, the options and the guide stay the same (so a prompt's later clicks reuse their first click's), else found
    /// now by mapping the seed alone and running the ladder, which leaves that map in the buffers.
    /// </summary>
    private float FirstSeedThreshold(PatchFeatures features, PixelPoint seed, SegmentationOptions options)
    {
        if (KeepsFirstSeed(features, seed, options)) return _firstSeed.Threshold;
        Map(features, [seed], [], null, options, 1f, barrierThreshold: float.NaN);
        float threshold = StableThreshold(options);
        RememberFirstSeed(features, seed, options, threshold);
        return threshold;
    }

    /// <summary>Whether a click's map takes the later seeds' barrier (<see cref="GraphOptions.LaterSeedBarrier"/>): ranked, several seeds, no box.</summary>
    private static bool BarrierApplies(int positives, PixelRect? box, SegmentationOptions options) =>
        options.Propagation == Propagation.Graph && options.Graph.LaterSeedBarrier > 0 && positives > 1 && box is null;

    private bool KeepsFirstSeed(PatchFeatures features, PixelPoint seed, SegmentationOptions options) =>
        ReferenceEquals(_firstSeed.Features, features) && _firstSeed.Seed == seed && ReferenceEquals(_firstSeed.Guide, _view.Guide)
        && (ReferenceEquals(_firstSeed.Options, options) || options.Equals(_firstSeed.Options));

    private void RememberFirstSeed(PatchFeatures features, PixelPoint seed, SegmentationOptions options, float threshold) =>
        _firstSeed = new FirstSeedLadder(features, seed, options, _view.Guide, threshold);

    /// <summary>
    /// <see cref="ThresholdRule.StableMask"/>: finishes the mask at each ladder threshold and keeps the one the next
    /// threshold up changes least (its IoU with the mask one step above; the top step's with the one below, so it wins
    /// only where the step below cannot). Ties go to the lower threshold: the most inclusive mask of the most stable
    /// stretch, since raising the threshold from a region's edge takes away little and lowering it lets the background in.
    /// A mask of (nearly) the whole image is no candidate unless every step's is: it is the most stable answer of all,
    /// and never the region of a click. Two mask buffers: allocation-free once they exist.
    /// </summary>
    private float StableThreshold(SegmentationOptions options)
    {
        const int N = AutoThreshold.StableLadder;
        Span<double> step = stackalloc double[N - 1]; // IoU of the masks at ladder values i and i + 1
        Span<bool> wholeImage = stackalloc bool[N];
        Span<byte> previous = Buffers.PreviousMask;
        int wholeImageArea = AutoThreshold.WholeImageArea(Buffers.Mask.Length);
        var range = AutoThreshold.StableRange(_view);
        for (int i = 0; i < N; i++)
        {
            ThresholdStage.Apply(Buffers, AutoThreshold.StableStep(range, i));
            _maskRefine.Run(options.Refinement, _view.Guide, options.Crf);
            _regions.Run(options);
            if (i > 0) step[i - 1] = MaskIoU(previous, Buffers.Mask);
            wholeImage[i] = Buffers.Selected >= wholeImageArea;
            Buffers.Mask.CopyTo(previous);
        }

        bool passOverWholeImage = wholeImage.Contains(false);
        int best = 0;
        double bestScore = double.NegativeInfinity;
        for (int i = 0; i < N; i++)
        {
            if (passOverWholeImage && wholeImage[i]) continue;
            double score = step[Math.Min(i, N - 2)];
            if (score > bestScore)
            {
                bestScore = score;
                best = i;
            }
        }

        return AutoThreshold.StableStep(range, best);
    }

    /// <summary>IoU of two 0/255 masks; 1 when both are empty (they agree).</summary>
    private static double MaskIoU(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        long both = 0, either = 0;
        for (int i = 0; i < a.Length; i++)
        {
            both += a[i] & b[i] & 1;
            either += (a[i] | b[i]) & 1;
        }

        return either == 0 ? 1 : (double)both / either;
    }
}

/// <summary>A one-seed click's ladder threshold and what it was found from (<see cref="ClickPipeline"/>'s floor for later clicks).</summary>
internal readonly record struct FirstSeedLadder(PatchFeatures? Features, PixelPoint Seed, SegmentationOptions? Options, RefinementGuide? Guide, float Threshold);
