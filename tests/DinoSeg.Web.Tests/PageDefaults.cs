namespace DinoSeg.Web.Tests;

/// <summary>What the page's clicks use when "Refine edges" is off: the library's defaults without its refinement (the CRF).</summary>
internal static class PageDefaults
{
    public static SegmentationOptions Unrefined { get; } = SegmentationOptions.Default with { Refinement = Refinement.None };
}
