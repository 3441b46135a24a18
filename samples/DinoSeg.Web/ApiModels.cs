namespace DinoSeg.Web;

/// <summary>Body of a click (<c>/segment</c>, <c>/similarity-map</c>) or a slider move (<c>/threshold</c>, <c>/mask</c>: session and threshold).</summary>
/// <param name="Session">Client-chosen id (1–64 of A–Z a–z 0–9 _ -) of the session whose result is reused; default "api".</param>
/// <param name="Seeds">Positive seeds as [x, y] pixels of the image; several combine by max.</param>
/// <param name="Negative">Negative seeds as [x, y]: a pixel is selected only where it is closer to the seeds than to these.</param>
/// <param name="Box">A box prompt [x0, y0, x1, y1) in image pixels; the selection stays within it plus a margin.</param>
/// <param name="KeepSeedRegions">Keep only the connected regions holding a seed or overlapping the box.</param>
/// <param name="MinArea">Remove regions of fewer pixels than this (never one holding a seed or overlapping the box).</param>
/// <param name="Threshold">Similarity threshold in [-1, 1]; default the backbone's.</param>
/// <param name="Refine">Refine the edges with the server's method (<c>/api/info</c>'s refineMethod): the CRF or GrabCut on the
/// mask after the threshold, or the guided filter on the map before it.</param>
/// <remarks>Every member may be left out (hence the defaults, which also keep them optional in the OpenAPI document).</remarks>
internal sealed record ClickRequest(string? Session = null, int[][]? Seeds = null, int[][]? Negative = null, int[]? Box = null,
    bool? KeepSeedRegions = null, int? MinArea = null, float? Threshold = null, bool? Refine = null);

/// <summary>A checked prompt: seeds, negative seeds, box, region options and edge refinement.</summary>
internal sealed record Prompt(PixelPoint[] Seeds, PixelPoint[] Negatives, PixelRect? Box, bool KeepSeedRegions, int MinArea, bool Refine);

/// <summary>An opened image: its id for later calls, sizes, patch grid and how long extraction took.</summary>
internal sealed record ImageInfo(string Id, string Name, int Width, int Height, int Rows, int Cols, int PatchSize,
    int WorkingWidth, int WorkingHeight, string Backbone, double ExtractMs, bool Cached)
{
    public static ImageInfo Of(ImageEntry entry, bool cached) => new(entry.Id, entry.Name, entry.Width, entry.Height,
        entry.Features.Rows, entry.Features.Cols, entry.Features.PatchSize, entry.Features.WorkingWidth, entry.Features.WorkingHeight,
        entry.Features.Backbone, Math.Round(entry.ExtractMs, 2), cached);
}

/// <summary>A seed as the server used it, with the original-image pixels of its patch, [x0, y0, x1, y1).</summary>
internal sealed record SeedInfo(int X, int Y, int[] Patch);

/// <summary>The outcome of a click or a slider move; box and box limit are [x0, y0, x1, y1) or null.</summary>
internal sealed record SegmentInfo(float Threshold, int SelectedPixels, double AreaFraction, int Width, int Height,
    IReadOnlyList<SeedInfo> Seeds, IReadOnlyList<SeedInfo> Negatives, int[]? Box, int[]? BoxLimit, bool KeepSeedRegions, int MinArea,
    bool Refine, double SegmentMs);

/// <summary>
/// Every error, as an RFC 9457 problem detail (<c>application/problem+json</c>): <paramref name="Title"/> the status's
/// reason phrase, <paramref name="Detail"/> one message for a person (what was expected, what was found, what to do), and
/// the same message as <paramref name="Error"/>, the extension member clients of earlier versions read.
/// </summary>
internal sealed record ProblemInfo(string Type, string Title, int Status, string Detail, string Error);

/// <summary>
/// What the page needs to know once: backbone, defaults, limits, colours. <c>Refinement</c>: clicks may ask for edge
/// refinement, <c>RefineMethod</c> "crf" (the default) or "grabcut" (on the mask: the page asks <c>/mask</c> for each slider
/// move) or "guided" (guided filter on the map, with this radius and ε: the page thresholds it itself); <c>Scales</c>: the fused working long sides, empty for one scale; <c>Propagation</c>: "none", or "graph" when
/// every click is ranked over the image's patch graph.
/// </summary>
internal sealed record ServerInfo(
    string Backbone,
    string Device,
    int PatchSize,
    float DefaultThreshold,
    double SimilaritySigma,
    double FeatherSigma,
    bool NegativeSeeds,
    bool BoxPrompt,
    double BoxMargin,
    bool Refinement,
    int RefineRadius,
    double RefineEpsilon,
    string RefineMethod,
    int[] Scales,
    string Propagation,
    long MaxUploadBytes,
    long MaxPixels,
    int[] OverlayColor,
    float OverlayOpacity,
    int[] SeedColor,
    int[] NegativeSeedColor,
    int[] BoxColor,
    int[] Viridis,
    int[] LevelColours,
    IReadOnlyList<string> Samples);
