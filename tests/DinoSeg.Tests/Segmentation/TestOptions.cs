namespace DinoSeg.Tests.Segmentation;

/// <summary>Options the tests of the unrefined pipelines share.</summary>
internal static class TestOptions
{
    /// <summary>
    /// The defaults with <see cref="Refinement.None"/>: the unrefined ranked pipeline. The default refines with the CRF,
    /// which needs the image; these tests check the map, threshold and mask stages on features alone.
    /// </summary>
    public static SegmentationOptions Unrefined { get; } = SegmentationOptions.Default with { Refinement = Refinement.None };

    /// <summary>
    /// <see cref="Unrefined"/> with <see cref="Propagation.None"/>: the plain cosine pipeline, whose scalar references and exact
    /// values these tests check (the default ranks over the patch graph; GraphRankingTests covers that path).
    /// </summary>
    public static SegmentationOptions Plain { get; } = Unrefined with { Propagation = Propagation.None };
}
