using System.Globalization;

namespace DinoSeg.Web;

/// <summary>
/// Settings of the web sample, read from the configuration section <c>DinoSeg</c> (command line
/// <c>--DinoSeg:MaxUploadBytes=10000000</c>, environment <c>DinoSeg__MaxUploadBytes</c>, or appsettings). Immutable.
/// </summary>
internal sealed record WebOptions
{
    /// <summary>The address used when none is given with <c>--urls</c>, <c>ASPNETCORE_URLS</c> or Kestrel endpoints: loopback only.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5180";

    /// <summary>Largest upload accepted, in bytes. Default 25 MiB.</summary>
    public long MaxUploadBytes { get; init; } = 25L * 1024 * 1024;

    /// <summary>
    /// Most pixels an uploaded image may have. Default 16 MP (e.g. 4096 × 4096). Each click session holds about 10 bytes
    /// per pixel (similarity, mask, soft mask, the page's map), so this bounds a session at about 170 MB.
    /// </summary>
    public long MaxPixels { get; init; } = 16L * 1024 * 1024;

    /// <summary>Most images whose features stay cached. Default 16.</summary>
    public int CacheImages { get; init; } = 16;

    /// <summary>
    /// The server's one memory budget: the cache (pixels, features and click sessions of every cached image) plus the
    /// buffers of every request in flight (uploads, new sessions, renders, similarity maps being sent), which reserve
    /// their share before allocating (<see cref="MemoryBudget"/>). Default 1 GiB.
    /// </summary>
    public long CacheBytes { get; init; } = 1L << 30;

    /// <summary>Click sessions (browser tabs, API clients) kept per image, least recently used dropped first. Default 4.</summary>
    public int SessionsPerImage { get; init; } = 4;

    /// <summary>
    /// A click session unused for this many seconds is dropped with its buffers (the client's next click makes a new one).
    /// Checked every quarter of it, at most every minute. Default 1800 (30 minutes).
    /// </summary>
    public int SessionIdleSeconds { get; init; } = 1800;

    /// <summary>How long a request waits for room in the memory budget before a 503 with Retry-After. Default 15 s.</summary>
    public int BudgetWaitSeconds { get; init; } = 15;

    /// <summary>
    /// Longest a request may take, from its headers to the last byte of its reply, in seconds; past it the connection is
    /// aborted and the request's buffers are freed. Kestrel's minimum data rates do not cover a client that stops reading a
    /// large reply: once the socket buffers have taken a few MB, its average rate stays above 240 B/s for hours. Default 120.
    /// </summary>
    public int RequestTimeoutSeconds { get; init; } = 120;

    /// <summary>Longest the request line and headers may take to arrive, in seconds (Kestrel's own default is 30). Default 10.</summary>
    public int HeadersTimeoutSeconds { get; init; } = 10;

    /// <summary>
    /// A preset name (<see cref="DinoSeg.Backbone.PresetNames"/>): <c>default</c> (the embedded ResNet18), <c>resnet18-l3</c>,
    /// <c>dinov3</c>, <c>dinov3-sat</c>, <c>dinov2</c> or <c>dinov2-reg</c>; those not embedded need <see cref="Model"/>.
    /// </summary>
    public string Backbone { get; init; } = DinoSeg.Backbone.DefaultName;

    /// <summary>Path of an exported ONNX backbone (server-side setting; clients never send paths).</summary>
    public string? Model { get; init; }

    /// <summary>Working long side in pixels; null takes the backbone's default.</summary>
    public int? LongSide { get; init; }

    /// <summary>
    /// Multi-scale features: two or more working long sides, comma-separated (e.g. <c>512,768</c>), extracted and fused
    /// with <see cref="MultiScaleExtractor"/>; extraction then costs one pass per scale, clicks cost the same. Null or
    /// empty: one scale (<see cref="LongSide"/> or the backbone's default).
    /// </summary>
    public string? Scales { get; init; }

    /// <summary>
    /// How every click turns the seed similarity into the thresholded map: "graph" (the library's default,
    /// <see cref="DinoSeg.Propagation.Graph"/>: ranked over the image's patch graph, built at the first click on each image)
    /// or "none" (plain cosine similarity).
    /// </summary>
    public string Propagation { get; init; } = "graph";

    /// <summary><see cref="Propagation"/> as the library's option.</summary>
    public Propagation PropagationMode() => Propagation switch
    {
        "none" => DinoSeg.Propagation.None,
        "graph" => DinoSeg.Propagation.Graph,
        _ => throw new ArgumentException($"DinoSeg:Propagation must be none or graph; found '{Propagation}'.", nameof(Propagation)),
    };

    /// <summary>
    /// What the page's "Refine edges" option applies: "crf" (the default, as the library's:
    /// <see cref="DinoSeg.Refinement.DenseCrf"/> on the mask), "grabcut" (<see cref="DinoSeg.Refinement.GrabCut"/> on the
    /// mask) or "guided" (<see cref="DinoSeg.Refinement.GuidedFilter"/> on the map). A slider move on a refined click costs
    /// a request that reruns the refinement with "crf" or "grabcut", none with "guided" (the page thresholds the refined map).
    /// </summary>
    public string Refine { get; init; } = "crf";

    /// <summary><see cref="Refine"/> as the library's option.</summary>
    public Refinement RefinementMode() => Refine switch
    {
        "guided" => DinoSeg.Refinement.GuidedFilter,
        "grabcut" => DinoSeg.Refinement.GrabCut,
        "crf" => DinoSeg.Refinement.DenseCrf,
        _ => throw new ArgumentException($"DinoSeg:Refine must be guided, grabcut or crf; found '{Refine}'.", nameof(Refine)),
    };

    /// <summary>The long sides of <see cref="Scales"/>; empty for one scale.</summary>
    /// <exception cref="ArgumentException">Not two or more integers in [16, 4096].</exception>
    public int[] ScaleSides()
    {
        if (string.IsNullOrWhiteSpace(Scales)) return [];
        string[] parts = Scales.Split(',', StringSplitOptions.TrimEntries);
        var sides = new int[parts.Length];
        bool valid = parts.Length >= 2;
        for (int i = 0; i < parts.Length && valid; i++)
        {
            valid = int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out sides[i]) && sides[i] is >= 16 and <= 4096;
        }

        return valid
            ? sides
            : throw new ArgumentException($"DinoSeg:Scales must be two or more long sides in [16, 4096] pixels, e.g. 512,768; found '{Scales}'.", nameof(Scales));
    }

    /// <summary>Throws when a setting is out of range, naming it.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxUploadBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxPixels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(CacheImages);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(CacheBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(SessionsPerImage);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(SessionIdleSeconds);
        ArgumentOutOfRangeException.ThrowIfNegative(BudgetWaitSeconds);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(RequestTimeoutSeconds);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(HeadersTimeoutSeconds);
        if (!DinoSeg.Backbone.PresetNames.Contains(Backbone, StringComparer.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"DinoSeg:Backbone must be one of {string.Join(", ", DinoSeg.Backbone.PresetNames)}; found '{Backbone}'.", nameof(Backbone));
        }

        if (!DinoSeg.Backbone.FromName(Backbone).IsEmbedded && string.IsNullOrEmpty(Model))
        {
            throw new ArgumentException($"DinoSeg:Backbone={Backbone} needs DinoSeg:Model=PATH.onnx (an exported model).", nameof(Model));
        }

        _ = ScaleSides();
        _ = PropagationMode();
        _ = RefinementMode();
    }
}
