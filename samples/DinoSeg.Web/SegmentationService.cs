using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Web;

/// <summary>
/// What the endpoints share: the backbone (loaded once), the segmenters, the image cache and the bundled photos.
/// Opening an image decodes it within the upload limits and extracts its features once; clicks and slider moves then
/// only run the per-click path on the cached features.
/// </summary>
internal sealed class SegmentationService : IDisposable
{
    /// <summary>Fast PNG settings: downloads and the displayed image favour speed over size (loopback, local tool).</summary>
    public static PngEncoder FastPng { get; } = new() { CompressionLevel = PngCompressionLevel.BestSpeed };

    public SegmentationService(WebOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        var extractorOptions = new ExtractorOptions { LongSide = options.LongSide };
        ScaleSides = options.ScaleSides();
        if (ScaleSides.Length == 0)
        {
            OnnxFeatureExtractor one = CreateExtractor(options, extractorOptions);
            (Extractor, Device) = (one, one.Device);
        }
        else
        {
            MultiScaleExtractor multi = MultiScaleExtractor.Create(ScaleSides, o => CreateExtractor(options, o), extractorOptions);
            (Extractor, Device) = (multi, ((OnnxFeatureExtractor)multi.Scales[0]).Device);
        }

        // Clicks and the threshold API skip the soft mask: the page feathers its own views, and only the rendered
        // downloads (overlay, cut-out) need the library's soft mask.
        // The plain options say Refinement.None, unlike the library's default (the CRF): without "Refine edges" the page
        // thresholds the map in the browser as the slider moves. "Refine edges" asks for the refined options below; with a
        // mask refinement (CRF, GrabCut) the page then asks the server for every slider move's mask (/mask), which no
        // threshold of the map in the browser gives.
        SegmentationOptions clicks = SegmentationOptions.Default with { Propagation = options.PropagationMode(), Refinement = Refinement.None };
        Refinement refined = options.RefinementMode();
        _interactive = clicks with { ComputeSoftMask = false };
        _interactiveRefined = _interactive with { Refinement = refined };
        FullOptions = clicks;
        FullRefinedOptions = clicks with { Refinement = refined };
        Segmenter = new SimilaritySegmenter(_interactive);
        Cache = new ImageCache(options.CacheImages, options.CacheBytes, () => Budget!.InFlight);
        Budget = new MemoryBudget(options.CacheBytes, () => Cache.Bytes, Cache.TrimTo, TimeSpan.FromSeconds(options.BudgetWaitSeconds));
        Samples = EmbeddedFiles.Load("samples/");
        Limits = new ImageLimits { MaxBytes = options.MaxUploadBytes, MaxPixels = options.MaxPixels };
        var idle = TimeSpan.FromSeconds(options.SessionIdleSeconds);
        var sweep = TimeSpan.FromTicks(Math.Clamp(idle.Ticks / 4, TimeSpan.TicksPerSecond / 4, TimeSpan.TicksPerMinute));
        _sessionSweep = new Timer(static state => ((SegmentationService)state!).ExpireSessions(), this, sweep, sweep);
    }

    private readonly Timer _sessionSweep;

    /// <summary>Drops the sessions idle for <see cref="WebOptions.SessionIdleSeconds"/> (the timer calls it; tests may too).</summary>
    public int ExpireSessions() => Cache.ExpireSessions(TimeSpan.FromSeconds(Options.SessionIdleSeconds));

    public WebOptions Options { get; }

    /// <summary>One ONNX extractor, or a <see cref="MultiScaleExtractor"/> over several when <see cref="WebOptions.Scales"/> is set.</summary>
    public IFeatureExtractor Extractor { get; }

    /// <summary>Where the backbone runs (every scale runs on the same device).</summary>
    public ExecutionDevice Device { get; }

    /// <summary>The long sides of the fused scales; empty for one scale.</summary>
    public int[] ScaleSides { get; }

    /// <summary>
    /// The one segmenter of every click and slider move; each click passes its options (<see cref="OptionsFor"/>), which
    /// its result keeps, so a slider move finishes the mask with the options of the click it moves.
    /// </summary>
    public SimilaritySegmenter Segmenter { get; }

    // The page's clicks skip the soft mask; "Refine edges" adds the refinement.
    private readonly SegmentationOptions _interactive, _interactiveRefined;

    /// <summary>The options of rendered views and stateless API clicks: the page's clicks with the feathered soft mask.</summary>
    public SegmentationOptions FullOptions { get; }

    /// <summary><see cref="FullOptions"/> with the refinement of "Refine edges" (the CRF unless DinoSeg:Refine is guided or grabcut).</summary>
    public SegmentationOptions FullRefinedOptions { get; }

    /// <summary>
    /// Whether "Refine edges" refines the mask after the threshold (CRF, GrabCut) rather than the map before it (guided
    /// filter): then a refined click's mask is no threshold of its map, and the page asks the server for it.
    /// </summary>
    public bool RefinesMask => RefinesMaskWith(_interactiveRefined);

    /// <summary>Whether <paramref name="options"/> refine the thresholded mask (so their mask is no threshold of the map).</summary>
    public static bool RefinesMaskWith(SegmentationOptions options) => options.Refinement is Refinement.GrabCut or Refinement.DenseCrf;

    public ImageCache Cache { get; }

    /// <summary>The one memory budget that the cache and every request's buffers share.</summary>
    public MemoryBudget Budget { get; }

    /// <summary>Bytes per pixel an upload needs while it is decoded and extracted (decoded image, pixel copy, PNG, decoder scratch).</summary>
    public const long OpenBytesPerPixel = 16;

    /// <summary>
    /// The options of a click: interactive (no soft mask) or full, refined when the prompt asks, with the prompt's region
    /// options (a small record, made per request only when those are on).
    /// </summary>
    public SegmentationOptions OptionsFor(Prompt prompt, bool full)
    {
        SegmentationOptions basis = (full, prompt.Refine) switch
        {
            (true, true) => FullRefinedOptions,
            (true, false) => FullOptions,
            (false, true) => _interactiveRefined,
            _ => _interactive,
        };
        if (!prompt.KeepSeedRegions && prompt.MinArea <= 1) return basis;
        return basis with { KeepSeedRegionsOnly = prompt.KeepSeedRegions, MinRegionArea = prompt.MinArea };
    }

    public EmbeddedFiles Samples { get; }

    public ImageLimits Limits { get; }

    /// <summary>Threshold the page's slider starts from (the page's Auto mode, on by default, then moves it per click).</summary>
    public float DefaultThreshold => Segmenter.DefaultThreshold(Extractor.Backbone);

    /// <summary>The cached image for these file bytes, or decodes and extracts it (once, however many ask at once).</summary>
    /// <exception cref="ApiException">Too large, not an image, or undecodable; the message says which and what to do.</exception>
    public async Task<(ImageEntry Entry, bool Cached)> OpenAsync(byte[] file, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        string id = Convert.ToHexStringLower(SHA256.HashData(file).AsSpan(0, 16));
        if (Cache.Find(id) is { } cached) return (cached, true);
        if (file.Length > Options.MaxUploadBytes) throw TooManyBytes(name, file.Length, Options.MaxUploadBytes);
        // The header says what decoding will cost: reserve it before any pixel exists.
        long pixels;
        using (var stream = new MemoryStream(file, writable: false)) pixels = CheckHeader(stream, name);
        using MemoryBudget.Lease lease = await Budget.AcquireAsync(pixels * OpenBytesPerPixel, $"opening “{name}”", cancellationToken);
        return await Cache.GetOrAddAsync(id, () => Create(id, file, name));
    }

    /// <summary>The cached image, or a 404 that tells the page to open it again.</summary>
    public ImageEntry Find(string id) =>
        Cache.Find(id) ?? throw new ApiException(StatusCodes.Status404NotFound,
            "This image is no longer in the server's cache (or never was): open it again.");

    private ImageEntry Create(string id, byte[] file, string name)
    {
        if (file.Length > Options.MaxUploadBytes) throw TooManyBytes(name, file.Length, Options.MaxUploadBytes);
        using var stream = new MemoryStream(file, writable: false);
        _ = CheckHeader(stream, name);

        Image<Rgb24> image;
        try
        {
            image = ImageDecoder.Load(stream, Limits);
        }
        catch (DinoSegImageException e)
        {
            // The decoder names a stream "stream"; the file's own name leads the message instead.
            string fix = e.Fix.Length > 0 ? char.ToUpperInvariant(e.Fix[0]) + e.Fix[1..] : e.Fix;
            throw new ApiException(StatusCodes.Status422UnprocessableEntity, $"“{name}” could not be decoded: {e.Found}. {fix}.");
        }

        using (image)
        {
            long start = Stopwatch.GetTimestamp();
            PatchFeatures features = Extractor.Extract(image);
            double extractMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;

            var pixels = new Rgb24[image.Width * image.Height];
            image.CopyPixelDataTo(pixels);
            using var png = new MemoryStream();
            image.Save(png, FastPng);
            return new ImageEntry(id, name, pixels, features, png.ToArray(), extractMs, Options.SessionsPerImage);
        }
    }

    private static OnnxFeatureExtractor CreateExtractor(WebOptions options, ExtractorOptions extractorOptions)
    {
        Backbone backbone = Backbone.FromName(options.Backbone);
        return backbone.IsEmbedded
            ? OnnxFeatureExtractor.CreateDefault(backbone, extractorOptions)
            : OnnxFeatureExtractor.Create(options.Model!, backbone, extractorOptions);
    }

    /// <summary>
    /// Reads only the header, for messages that name the file and the limit (the decoder checks again). Uses the library's
    /// decoders (no PNG text inflated, no frame after the first read); a damaged header is a 422, never a 500.
    /// </summary>
    private long CheckHeader(MemoryStream stream, string name)
    {
        ImageHeader? header;
        try
        {
            header = ImageDecoder.Identify(stream);
        }
        catch (DinoSegImageException e)
        {
            throw new ApiException(StatusCodes.Status422UnprocessableEntity, $"“{name}” looks like an image but its header is damaged ({e.Found}).");
        }

        stream.Position = 0;
        if (header is null)
        {
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType,
                $"“{name}” is not an image DinoSeg can read. Choose a {ImageDecoder.FormatNames} file.");
        }

        if (header.Pixels > Options.MaxPixels)
        {
            throw new ApiException(StatusCodes.Status413PayloadTooLarge,
                $"“{name}” is {header.Width} × {header.Height} = {Megapixels(header.Pixels)} MP; this server accepts at most {Megapixels(Options.MaxPixels)} MP. Downscale it first.");
        }

        return header.Pixels;
    }

    /// <summary>The upload is over the byte limit; <paramref name="bytes"/> is its size, or null when only "more than the limit" is known.</summary>
    public static ApiException TooManyBytes(string name, long? bytes, long max) =>
        new(StatusCodes.Status413PayloadTooLarge,
            $"“{name}” is {(bytes is long b ? Mebibytes(b) : "larger than that")}; this server accepts uploads of at most {Mebibytes(max)}. Choose a smaller file.");

    private static string Megapixels(long pixels) => (pixels / 1e6).ToString("0.0", CultureInfo.InvariantCulture);

    private static string Mebibytes(long bytes) =>
        string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.0} MiB ({bytes:N0} bytes)");

    public void Dispose()
    {
        _sessionSweep.Dispose();
        Extractor.Dispose();
    }
}
