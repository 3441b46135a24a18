using System.Diagnostics.CodeAnalysis;

namespace DinoSeg;

/// <summary>
/// What a click says about the object, in original-image pixels: positive seeds (on it), negative seeds (not on it) and
/// an optional box around it. Any mix works as long as there is a positive seed or a box.
/// <code>
/// segmenter.Segment(features, new SegmentationPrompt(seed), 0.3f);
/// segmenter.Segment(features, new SegmentationPrompt([seed, other], [background]), 0.3f, into: result);
/// segmenter.SegmentAuto(features, new SegmentationPrompt(box, [seed]), into: result);
/// </code>
/// </summary>
/// <remarks>
/// A ref struct over the caller's spans, so a click builds no array: a collection expression such as <c>[seed, other]</c>
/// passed straight to the constructor lives on the caller's stack. The prompt checks nothing; the segmenter checks it
/// against the features (a positive seed or a box; every seed and the box inside the image) before any work.
/// </remarks>
public readonly ref struct SegmentationPrompt
{
    private readonly ReadOnlySpan<PixelPoint> _seeds;

    // The single-seed constructor has no caller's span to point into: the seed is kept here and Seeds is a span over it.
    private readonly PixelPoint _seed;
    private readonly bool _single;

    /// <summary>One positive seed: the plain click.</summary>
    public SegmentationPrompt(PixelPoint seed)
    {
        _seed = seed;
        _single = true;
    }

    /// <summary>
    /// Positive seeds and, optionally, negative seeds and a box (null for none: callers whose box is optional pass it as
    /// it is). At least one positive seed unless there is a box.
    /// </summary>
    public SegmentationPrompt(ReadOnlySpan<PixelPoint> seeds, ReadOnlySpan<PixelPoint> negatives = default, PixelRect? box = null)
    {
        _seeds = seeds;
        Negatives = negatives;
        Box = box;
    }

    /// <summary>A box around the object, optionally with positive and negative seeds.</summary>
    public SegmentationPrompt(PixelRect box, ReadOnlySpan<PixelPoint> seeds = default, ReadOnlySpan<PixelPoint> negatives = default)
    {
        _seeds = seeds;
        Negatives = negatives;
        Box = box;
    }

    /// <summary>Pixels on the object (may be empty when there is a box).</summary>
    [UnscopedRef]
    public ReadOnlySpan<PixelPoint> Seeds => _single ? new ReadOnlySpan<PixelPoint>(in _seed) : _seeds;

    /// <summary>Pixels not on the object (may be empty).</summary>
    public ReadOnlySpan<PixelPoint> Negatives { get; }

    /// <summary>A rectangle around the object, or null.</summary>
    public PixelRect? Box { get; }

    /// <summary>Checks the prompt against an image of this size (see <see cref="SimilaritySegmenter.Validate"/>).</summary>
    internal void Validate(int imageWidth, int imageHeight)
    {
        if (Seeds.IsEmpty && Box is null) throw new ArgumentException("At least one positive seed or a box is needed.", "prompt");
        foreach (PixelPoint seed in Seeds) seed.ThrowIfOutside(imageWidth, imageHeight);
        foreach (PixelPoint seed in Negatives) seed.ThrowIfOutside(imageWidth, imageHeight);
        Box?.ThrowIfOutside(imageWidth, imageHeight, "prompt.Box"); // callers map it to their own box input
    }
}
