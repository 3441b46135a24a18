namespace DinoSeg.Pipeline;

/// <summary>
/// The clean-up options on the thresholded mask: outline smoothing, then the region options (which then judge the smoothed
/// regions), then hole filling (last, so holes left by removed islands are filled too).
/// </summary>
internal sealed class RegionStage(ClickBuffers b)
{
    private RegionFilter? _regions;
    private MaskSmoothing? _smoothing;

    public void Run(SegmentationOptions options)
    {
        if (!options.CleansMask) return;
        if (options.SmoothRadius > 0)
        {
            _smoothing ??= new MaskSmoothing();
            b.Selected = _smoothing.Apply(b.Mask, b.Width, b.Height, options.SmoothRadius, out int changed);
            if (changed > 0) b.MaskIsPlain = false;
        }

        if (options.FiltersRegions || options.FillHolesArea > 0) _regions ??= new RegionFilter();
        if (options.FiltersRegions)
        {
            int removed = _regions!.Apply(b.Mask, b.Width, b.Height, b.Seeds, b.Box, options.KeepSeedRegionsOnly, options.MinRegionArea);
            b.Selected -= removed;
            if (removed > 0) b.MaskIsPlain = false;
        }

        if (options.FillHolesArea > 0)
        {
            int filled = _regions!.FillHoles(b.Mask, b.Width, b.Height, b.NegativeSeeds, options.FillHolesArea);
            b.Selected += filled;
            if (filled > 0) b.MaskIsPlain = false;
        }
    }
}
