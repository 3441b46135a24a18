namespace DinoSeg.Pipeline;

/// <summary>
/// How finely each stage of a click splits over the workers, in one place. A part of fewer than about 64 Ki values
/// (256 KiB of floats) costs more to hand to a thread than it saves; passes that do many multiply-adds per value split at
/// half that.
/// </summary>
internal static class WorkGrains
{
    /// <summary>
    /// Output rows per band of the fused click. In paired runs at 1024² against the staged path, 16-row bands left the next
    /// full-map threshold pass about twice as slow; 128-row bands keep the click's gain.
    /// </summary>
    public const int ClickBandRows = 128;

    /// <summary>Rows per band of the feather: the band's buffer (these rows plus the kernel's reach) stays in cache.</summary>
    public const int FeatherBandRows = 32;

    private const int Values = 65536;
    private const int FilterValues = Values / 2;

    /// <summary>Patches per part of the seed similarity: about 256 KiB of feature vectors.</summary>
    public static int Patches(int dim) => Math.Max(1, Values / dim);

    /// <summary>Image rows per part of a pass that touches each pixel a few times (gate, threshold, guided filter's rows).</summary>
    public static int Rows(int width) => Math.Max(1, Values / width);

    /// <summary>Image columns per part of the guided filter's column pass.</summary>
    public static int Columns(int height) => Math.Max(1, Values / height);

    /// <summary>Patch rows per part of the upsampling's horizontal pass (<paramref name="taps"/> multiply-adds per pixel).</summary>
    public static int PatchRows(int width, int taps) => Math.Max(1, Values / (width * taps));

    /// <summary>Image rows per part of a filter over rows: the upsampling's vertical pass, the feather.</summary>
    public static int FilterRows(int width) => Math.Max(1, FilterValues / width);
}
