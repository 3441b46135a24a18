namespace DinoSeg.Pipeline;

/// <summary>
/// What a click leaves behind, sized once per result: the patch maps, the image-size map with its mask, soft mask and
/// block bounds, the prompt, the threshold and the selected count. The stages write it; <see cref="SegmentationResult"/>
/// is its read-only view.
/// </summary>
internal sealed class ClickBuffers
{
    // Intermediate rows are padded so rows a multiple of 4 KiB apart do not map to the same cache sets.
    private const int RowPadding = 16;

    private byte[] _previousMask = [];
    private float[] _firstSeedMap = [];
    private int[] _barrierPatches = [];

    public ClickBuffers(PatchFeatures features)
    {
        Width = features.ImageWidth;
        Height = features.ImageHeight;
        Grid = features.Grid;
        Stride = Width + RowPadding;
        BoundsStride = Kernels.Threshold.BoundsLength(Width);
        PatchSimilarity = new float[features.PatchCount];
        NegativeSimilarity = new float[features.PatchCount];
        PatchMargin = new float[features.PatchCount];
        Similarity = new float[Width * Height];
        Mask = new byte[Width * Height];
        SoftMask = new float[Width * Height];
        Vector = new float[features.Dim];
        BoxVector = new float[features.Dim];
    }

    public int Width { get; }

    public int Height { get; }

    public PatchGrid Grid { get; }

    /// <summary>Row pitch of <see cref="Horizontal"/> (the width plus padding).</summary>
    public int Stride { get; }

    /// <summary>Bound values per row of <see cref="Bounds"/>.</summary>
    public int BoundsStride { get; }

    /// <summary>s⁺ per patch (cosine, or ranked with <see cref="Propagation.Graph"/>).</summary>
    public float[] PatchSimilarity { get; }

    /// <summary>s⁻ per patch; while a ranked click solves, it holds the positive map ranked with the negatives absorbing.</summary>
    public float[] NegativeSimilarity { get; }

    /// <summary>s⁺ − w·s⁻ per patch (w: <see cref="GraphOptions.NegativeWeight"/> on ranked maps, 1 on plain ones), the gate's input; while a ranked click solves seed by seed, its per-seed scratch map.</summary>
    public float[] PatchMargin { get; }

    /// <summary>The image-size map the threshold reads.</summary>
    public float[] Similarity { get; }

    public byte[] Mask { get; }

    public float[] SoftMask { get; }

    /// <summary>The vector whose similarity the similarity stage computes (a seed's, the box prototype, or their mean).</summary>
    public float[] Vector { get; }

    /// <summary>The box prototype: the mean of the patch vectors inside the box, normalised.</summary>
    public float[] BoxVector { get; }

    /// <summary>The upsampling's horizontal pass, one padded row per patch row (made on the first click).</summary>
    public float[] Horizontal { get; private set; } = [];

    /// <summary>The upsampled margin s⁺ − w·s⁻ (made on the first click with negative seeds).</summary>
    public float[] Margin { get; private set; } = [];

    /// <summary>
    /// Per row, the minimum and the maximum of each 64-pixel block of the map (<see cref="Kernels.Threshold.Bounds(ReadOnlySpan{float}, Span{float})"/>),
    /// so a threshold change rewrites only the blocks that hold a value between the old and the new threshold.
    /// </summary>
    public float[] Bounds { get; private set; } = [];

    /// <summary>The first positive seed's own ranked map, while later seeds build their barrier from it (made on first use).</summary>
    public float[] FirstSeedMap => _firstSeedMap.Length != 0 ? _firstSeedMap : _firstSeedMap = new float[PatchSimilarity.Length];

    /// <summary>The patches of a later seeds' barrier (<see cref="GraphOptions.LaterSeedBarrier"/>; made on first use).</summary>
    public int[] BarrierPatches => _barrierPatches.Length != 0 ? _barrierPatches : _barrierPatches = new int[PatchSimilarity.Length];

    /// <summary>
    /// The threshold the latest click's later seeds took their barrier from (<see cref="GraphOptions.LaterSeedBarrier"/>):
    /// the click's fixed threshold, its first seed's ladder threshold, or NaN for none.
    /// </summary>
    public float BarrierThreshold { get; set; } = float.NaN;

    /// <summary>A second mask, for rules that compare the masks of two thresholds (made on first use, then reused).</summary>
    public Span<byte> PreviousMask => _previousMask.Length == Mask.Length ? _previousMask : _previousMask = new byte[Mask.Length];

    public List<PixelPoint> Seeds { get; } = new(4);

    public List<PixelPoint> NegativeSeeds { get; } = new(4);

    public PixelRect? Box { get; private set; }

    public PixelRect? BoxLimit { get; private set; }

    public float Threshold { get; set; }

    public ThresholdRule? AutoRule { get; set; }

    public Propagation Propagation { get; set; }

    /// <summary>The features of the latest click; null before the first.</summary>
    public PatchFeatures? Features { get; set; }

    /// <summary>The options of the latest click, which the slider keeps using; null before the first.</summary>
    public SegmentationOptions? Options { get; set; }

    /// <summary>Pixels the mask selects: a field, so the stages' parts can add their counts with <see cref="Interlocked"/>.</summary>
    public int Selected;

    /// <summary>Whether <see cref="Bounds"/> describe the map as it is now.</summary>
    public bool BoundsCurrent { get; set; }

    /// <summary>Whether the mask is exactly map ≥ <see cref="Threshold"/> (no refinement or region option changed it).</summary>
    public bool MaskIsPlain { get; set; }

    public bool Fits(PatchFeatures features) => features.Grid == Grid && features.Dim == Vector.Length;

    /// <summary>The block bounds of output rows [start, end).</summary>
    public Span<float> RowBounds(int start, int end) => Bounds.AsSpan(start * BoundsStride, (end - start) * BoundsStride);

    /// <summary>The scratch of the upsampling and the bounds, made on the first click.</summary>
    public void EnsureUpsampling()
    {
        if (Horizontal.Length == 0) Horizontal = new float[Grid.Rows * Stride];
        if (Bounds.Length == 0) Bounds = new float[Height * BoundsStride];
    }

    /// <summary>The upsampled margin's buffer, made on the first click with negative seeds.</summary>
    public float[] EnsureMargin() => Margin.Length != 0 ? Margin : Margin = new float[Width * Height];

    /// <summary>Records the prompt, and how far the selection may reach around the box.</summary>
    public void SetPrompt(ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives, PixelRect? box, double boxMargin)
    {
        Record(positives, Seeds);
        Record(negatives, NegativeSeeds);
        Box = box;
        BoxLimit = box is PixelRect b
            ? b.Inflate((int)Math.Ceiling(b.Width * boxMargin), (int)Math.Ceiling(b.Height * boxMargin), Width, Height)
            : null;
    }

    /// <summary>The map, its mask and its bounds were just written together.</summary>
    public void MapWritten()
    {
        BoundsCurrent = true;
        MaskIsPlain = true;
    }

    private static void Record(ReadOnlySpan<PixelPoint> seeds, List<PixelPoint> list)
    {
        list.Clear();
        foreach (PixelPoint seed in seeds) list.Add(seed);
    }
}
