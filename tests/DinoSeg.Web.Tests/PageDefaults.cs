namespace DinoSeg.Web.Tests;

/// <summary>
/// What the page's clicks use when "Refine edges" is unticked (it is on by default, and then the page's click is the
/// library's default click): the library's defaults without its refinement (the CRF).
/// </summary>
internal static class PageDefaults
{
    public static SegmentationOptions Unrefined { get; } = SegmentationOptions.Default with { Refinement = Refinement.None };
}
