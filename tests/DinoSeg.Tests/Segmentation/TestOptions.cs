namespace DinoSeg.Tests.Segmentation;

/// <summary>Options the tests of the plain cosine pipeline share.</summary>
internal static class TestOptions
{
    /// <summary>
    /// The defaults with <see cref="Propagation.None"/>: the plain cosine pipeline, whose scalar references and exact values
    /// these tests check (the default ranks over the patch graph; GraphRankingTests covers that path).
    /// </summary>
    public static SegmentationOptions Plain { get; } = SegmentationOptions.Default with { Propagation = Propagation.None };
}
