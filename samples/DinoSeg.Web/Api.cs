using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using DinoSeg.Masks;
using DinoSeg.Rendering;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Web;

/// <summary>
/// The JSON/PNG API over the library. Costs by route: opening an image decodes and extracts features (once per image,
/// cached); a click runs only the per-click path into the session's reused result; a slider move in the page needs no
/// request at all (see <see cref="SimilarityMap"/>) unless the click's mask was refined (CRF, GrabCut: <c>/mask</c> reruns
/// the refinement), and <c>/threshold</c> re-thresholds without recomputing similarity.
/// </summary>
internal static class Api
{
    private const int MaxSeeds = 64;

    /// <summary>Largest JSON body a click may send (64 seeds and negatives, a box and options fit in a few KiB).</summary>
    internal const int MaxJsonBytes = 64 * 1024;

    /// <summary>Bytes per pixel of a rendered view beyond its result: the RGBA view and its PNG.</summary>
    private const long RenderBytesPerPixel = 8;
    private const string DefaultSession = "api";
    // The library's view names, as the page's URLs spell them: "mask", "soft-mask", … (ViewWriter.FileNames without ".png").
    private static readonly string[] Views = [.. ViewWriter.FileNames.Select(Path.GetFileNameWithoutExtension)!];
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// The routes, each described for the OpenAPI document (<c>/openapi/v1.json</c>): the handlers read their JSON bodies
    /// themselves (bounded before parsing), so the request bodies and the non-JSON replies are declared here.
    /// </summary>
    public static void Map(WebApplication app)
    {
        RouteGroupBuilder api = app.MapGroup("/api");
        api.WithTags("DinoSeg").ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapGet("/info", Info).WithSummary("The backbone, the defaults, the limits and the colours the page draws with.");
        api.MapGet("/samples", (SegmentationService s) => s.Samples.Names).WithSummary("The bundled photos' names.");
        api.MapPost("/samples/{name}", OpenSample).WithSummary("Opens a bundled photo: extracts its features (cached) and answers its id.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/images", Upload)
            .WithSummary("Uploads an image: the file as the raw body (X-File-Name names it) or as the first file part of a form.")
            .Accepts<byte[]>("application/octet-stream", "multipart/form-data")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        api.MapGet("/images/{id}", (string id, SegmentationService s) => ImageInfo.Of(s.Find(id), cached: true))
            .WithSummary("An opened image's sizes and patch grid.").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/images/{id}/image.png", (string id, SegmentationService s) => Results.File(s.Find(id).Png, "image/png"))
            .WithSummary("The opened image as PNG.").Produces(StatusCodes.Status200OK, contentType: "image/png").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/images/{id}/segment", Segment)
            .WithSummary("A click: seeds, negatives, box and options in; the threshold used and the selection's numbers out. No threshold: the library's rule.")
            .Accepts<ClickRequest>("application/json").ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        api.MapPost("/images/{id}/similarity-map", SimilarityMapOf)
            .WithSummary("A click, answered with the page's map: one byte per pixel, the number of slider thresholds that pixel reaches (X-DinoSeg-* headers carry the rest).")
            .Accepts<ClickRequest>("application/json").Produces<byte[]>(StatusCodes.Status200OK, "application/octet-stream")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        api.MapPost("/images/{id}/threshold", Rethreshold)
            .WithSummary("A slider move: re-thresholds the session's last click (409 before one).")
            .Accepts<ClickRequest>("application/json").ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapPost("/images/{id}/mask", MaskOf)
            .WithSummary("A slider move, answered with the mask: re-thresholds the session's last click, its mask refinement (CRF, GrabCut) run again, "
                + "and sends the mask, one byte per pixel, 0 or 255 (409 before a click; X-DinoSeg-* headers carry the numbers).")
            .Accepts<ClickRequest>("application/json").Produces<byte[]>(StatusCodes.Status200OK, "application/octet-stream")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/images/{id}/views/{view}.png", RenderView)
            .WithSummary("A rendered view (similarity, mask, soft-mask, overlay, cutout, panel) of the click the query describes (seeds=x,y;…, threshold=T|auto).")
            .Produces(StatusCodes.Status200OK, contentType: "image/png").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/images/{id}/exports/{format}", RenderExport)
            .WithSummary("The mask of the click the query describes (as for a view, plus tolerance=PX for polygons, default 1) in another format: "
                + "rle (COCO RLE JSON), coco (a COCO document), geojson (polygons with holes), svg, yolo (YOLO-seg lines), zip (all of them and the PNGs).")
            .Produces<byte[]>(StatusCodes.Status200OK, "application/json", "application/geo+json", "image/svg+xml", "text/plain", "application/zip")
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static ServerInfo Info(SegmentationService s)
    {
        var viridis = new int[Renderer.HeatmapColors.Count * 3];
        for (int i = 0; i < Renderer.HeatmapColors.Count; i++)
        {
            Rgb24 c = Renderer.HeatmapColors[i];
            (viridis[3 * i], viridis[3 * i + 1], viridis[3 * i + 2]) = (c.R, c.G, c.B);
        }

        OverlayStyle style = OverlayStyle.Default;
        SegmentationOptions full = s.FullOptions, refined = s.FullRefinedOptions;
        return new ServerInfo(s.Extractor.Backbone.Name, s.Device.ToString().ToLowerInvariant(), s.Extractor.Backbone.PatchSize,
            s.DefaultThreshold, full.SimilaritySigma, full.FeatherSigma, NegativeSeeds: true, BoxPrompt: true,
            full.BoxMargin, Refinement: true, refined.RefineRadius, refined.RefineEpsilon, s.Options.Refine, s.ScaleSides,
            full.Propagation == Propagation.Graph ? "graph" : "none", s.Options.MaxUploadBytes, s.Options.MaxPixels, [style.Color.R, style.Color.G, style.Color.B], style.Opacity,
            Rgb(style.SeedColor), Rgb(style.NegativeSeedColor), Rgb(style.BoxColor), viridis, SimilarityMap.LevelColours(), s.Samples.Names);
    }

    private static int[] Rgb(Rgb24 c) => [c.R, c.G, c.B];

    private static async Task<ImageInfo> OpenSample(string name, SegmentationService s, HttpContext context)
    {
        // A name from the fixed table of bundled photos; anything else (paths included) is simply not found.
        byte[] file = s.Samples.Find(name)
            ?? throw new ApiException(StatusCodes.Status404NotFound, $"There is no sample called “{Clean(name)}”. Samples: {string.Join(", ", s.Samples.Names)}.");
        var (entry, cached) = await s.OpenAsync(file, name, context.RequestAborted);
        return ImageInfo.Of(entry, cached);
    }

    /// <summary>
    /// An upload: the file's bytes as the raw body (the page's way; <c>X-File-Name</c> names it), or the first file part
    /// of a <c>multipart/form-data</c> body (<c>curl -F file=@photo.jpg</c>, an HTML form), named by its filename.
    /// </summary>
    private static async Task<ImageInfo> Upload(HttpContext context, SegmentationService s)
    {
        string name = Clean(Uri.UnescapeDataString(context.Request.Headers["X-File-Name"].ToString()));
        long max = s.Options.MaxUploadBytes;
        string? boundary = MultipartBoundary(context.Request.ContentType);
        // A form's body is the file plus its part headers and boundaries: allow those a little room beyond the file limit.
        long bodyLimit = boundary is null ? max : max + MaxMultipartOverhead;
        if (context.Request.ContentLength is long declared && declared > bodyLimit) throw SegmentationService.TooManyBytes(name.Length == 0 ? "the upload" : name, declared, max);
        // The body (and its copy) count against the budget from the first byte read.
        using MemoryBudget.Lease body = await s.Budget.AcquireAsync(2 * Math.Min(context.Request.ContentLength ?? bodyLimit, bodyLimit),
            $"the upload of “{(name.Length == 0 ? "the upload" : name)}”", context.RequestAborted);
        byte[] file;
        if (boundary is null)
        {
            if (name.Length == 0) name = "the upload";
            file = await ReadBodyAsync(context, max, name);
        }
        else
        {
            (file, string partName) = await ReadFilePartAsync(context, boundary, max);
            if (name.Length == 0) name = partName;
        }

        var (entry, cached) = await s.OpenAsync(file, name, context.RequestAborted);
        return ImageInfo.Of(entry, cached);
    }

    /// <summary>Bytes a multipart upload may carry beyond its file: part headers, boundaries, small text fields.</summary>
    private const int MaxMultipartOverhead = 64 * 1024;

    /// <summary>The boundary of a <c>multipart/form-data</c> content type; null for any other type (a raw upload).</summary>
    private static string? MultipartBoundary(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out MediaTypeHeaderValue? type)
            || !string.Equals(type.MediaType.Value, "multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        string boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value ?? "";
        if (boundary.Length is 0 or > 200)
        {
            throw new ApiException(StatusCodes.Status400BadRequest, "The multipart/form-data upload has no valid boundary in its Content-Type.");
        }

        return boundary;
    }

    /// <summary>
    /// The first part with a filename of a multipart body, read within <paramref name="max"/> bytes; other parts (text
    /// fields) are skipped, each within the overhead allowance.
    /// </summary>
    private static async Task<(byte[] File, string Name)> ReadFilePartAsync(HttpContext context, string boundary, long max)
    {
        // Kestrel cuts the body off past the file limit and the form's allowance, whatever follows the file part.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = max + MaxMultipartOverhead;
        var reader = new MultipartReader(boundary, context.Request.Body) { HeadersLengthLimit = 16 * 1024 };
        long skipped = 0;
        try
        {
            while (await reader.ReadNextSectionAsync(context.RequestAborted) is { } section)
            {
                if (ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out ContentDispositionHeaderValue? disposition)
                    && disposition.IsFileDisposition())
                {
                    string name = Clean(HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value ?? "");
                    if (name.Length == 0) name = "the upload";
                    byte[] file = await ReadBoundedAsync(section.Body, max, name, context.RequestAborted);
                    if (file.Length == 0) throw new ApiException(StatusCodes.Status400BadRequest, $"The file part “{name}” of the upload is empty.");
                    return (file, name);
                }

                skipped += (await ReadBoundedAsync(section.Body, MaxMultipartOverhead, "a form field", context.RequestAborted)).Length;
                if (skipped > MaxMultipartOverhead) throw SegmentationService.TooManyBytes("the form's other fields", skipped, MaxMultipartOverhead);
            }
        }
        catch (InvalidDataException e)
        {
            // MultipartReader's word for a body that is not the multipart it claims (bad boundary lines, huge headers).
            throw new ApiException(StatusCodes.Status400BadRequest, $"The multipart/form-data upload is malformed: {e.Message}");
        }

        throw new ApiException(StatusCodes.Status400BadRequest,
            "The multipart/form-data upload has no file part: send the image as a file field (curl -F file=@photo.jpg).");
    }

    /// <summary>
    /// What a click allocates beyond the cached session: a new session's maps, and the first refined click's guide and
    /// refinement buffers, with a mask refinement the room to send its mask too (these then belong to the cache, which the
    /// budget also counts).
    /// </summary>
    private static long ClickBytes(ImageEntry entry, string sessionId, bool refine, bool refinesMask)
    {
        ClickSession? existing = entry.FindSession(sessionId);
        long pixels = (long)entry.Width * entry.Height, bytes = existing is null ? entry.SessionBytes : 0;
        if (refine && existing?.Result.Guide is null) bytes += 5L * pixels * sizeof(float) + 3L * pixels * sizeof(float) + (refinesMask ? pixels : 0);
        return bytes;
    }

    /// <summary>A click for API clients: segments into the session's result and answers with the numbers.</summary>
    private static Task<SegmentInfo> Segment(string id, HttpContext context, SegmentationService s) =>
        ClickAsync(id, context, s, (session, segmentMs) => Task.FromResult(Describe(session, segmentMs)));

    /// <summary>
    /// Reads a click, takes the session's gate, segments into the session's result, and runs <paramref name="respond"/>
    /// with the time that took while the gate is still held: the session's next click must not change the result mid-reply.
    /// </summary>
    private static async Task<T> ClickAsync<T>(string id, HttpContext context, SegmentationService s, Func<ClickSession, double, Task<T>> respond)
    {
        ImageEntry entry = s.Find(id);
        var (sessionId, prompt, threshold) = await ReadClickAsync(context, entry);
        // Admission first: a new session or a first refined click allocates image-sized buffers.
        using MemoryBudget.Lease lease = await s.Budget.AcquireAsync(ClickBytes(entry, sessionId, prompt.Refine, s.RefinesMask), "a click", context.RequestAborted);
        ClickSession session = SessionFor(s, entry, sessionId);
        SegmentationOptions options = s.OptionsFor(prompt, full: false);
        bool grew = false;
        await session.Gate.WaitAsync(context.RequestAborted);
        try
        {
            long start = Stopwatch.GetTimestamp();
            if (prompt.Refine && session.Result.Guide is null)
            {
                // The first refined click of this session: the image's guide (made once per image) and, in the click
                // below, the result's refinement buffers; both count against the cache's byte budget.
                session.Result.Guide = entry.GetOrCreateGuide().Guide;
                grew = true;
            }

            // No threshold in the request: the library's rule picks one from this click's map (the page's Auto mode).
            var click = new SegmentationPrompt(prompt.Seeds, prompt.Negatives, prompt.Box);
            if (threshold is { } t) s.Segmenter.Segment(entry.Features, click, t, session.Result, options);
            else s.Segmenter.SegmentAuto(entry.Features, click, into: session.Result, options: options);
            return await respond(session, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        finally
        {
            session.Gate.Release();
            if (grew) s.Cache.Grew(entry);
        }
    }

    /// <summary>
    /// A click for the page: segments into the session's result and sends the map as <see cref="SimilarityMap"/> levels,
    /// one byte per pixel (gzip-encoded for clients off this machine that accept it), with the numbers in headers. The
    /// page thresholds it itself on slider moves. A click refined on its mask (CRF, GrabCut) sends its mask too, behind
    /// the levels (<c>X-DinoSeg-Refined-Mask: true</c>): no threshold of the levels gives it, so the page shows it as is
    /// and asks <c>/mask</c> on slider moves.
    /// </summary>
    private static async Task SimilarityMapOf(string id, HttpContext context, SegmentationService s)
    {
        ImageEntry known = s.Find(id);
        bool gzip = ShouldGzip(context);
        // The reply is copied out of the session (1 byte per pixel, 2 when a mask may follow the levels; counted against
        // the budget before the body says whether the click is refined) so that the session's gate is released before the
        // bytes go out: a slow reader holds only its own copy, never the session.
        long replyBytes = (long)known.Width * known.Height * (s.RefinesMask ? 2 : 1) * (gzip ? 2 : 1);
        using MemoryBudget.Lease copy = await s.Budget.AcquireAsync(replyBytes, "a similarity map", context.RequestAborted);
        HttpResponse response = context.Response;
        var (buffer, length) = await ClickAsync(id, context, s, (session, segmentMs) =>
        {
            SegmentationResult result = session.Result;
            bool withMask = SegmentationService.RefinesMaskWith(result.Options!);
            var (body, levelsMs, compressMs) = session.EncodeMap(gzip, withMask);
            byte[] rented = CopyToRented(body);
            SetBinaryHeaders(response, body.Length, gzip, string.Create(CultureInfo.InvariantCulture,
                $"segment;dur={segmentMs:0.00}, levels;dur={levelsMs:0.00}, gzip;dur={compressMs:0.00}"), result);
            if (withMask) response.Headers["X-DinoSeg-Refined-Mask"] = "true";
            response.Headers["X-DinoSeg-Seeds"] = JsonSerializer.Serialize(SeedsOf(result.Seeds, result.Grid), Json);
            response.Headers["X-DinoSeg-Negatives"] = JsonSerializer.Serialize(SeedsOf(result.NegativeSeeds, result.Grid), Json);
            response.Headers["X-DinoSeg-Box"] = JsonSerializer.Serialize(Corners(result.Box), Json);
            // What the page's Auto mode applies: the library's default rule on this click's map (one histogram, or nothing to
            // do after an automatic click). A hand-set threshold on a click whose rule takes the stable ladder gets none: that
            // would be ten more mask finishes; the page asks for an automatic click when Auto is switched on.
            if (!s.Segmenter.ChoosesByLadder(result))
            {
                response.Headers["X-DinoSeg-Auto-Threshold"] = s.Segmenter.ChooseThreshold(result).ToString("R", CultureInfo.InvariantCulture);
            }
            return Task.FromResult((rented, body.Length));
        });
        await WriteRentedAsync(response, buffer, length, context.RequestAborted);
    }

    /// <summary>The slider path for API clients: re-thresholds the session's last click; nothing else is recomputed.</summary>
    private static Task<SegmentInfo> Rethreshold(string id, HttpContext context, SegmentationService s) =>
        RethresholdAsync(id, context, s, (session, segmentMs) => Describe(session, segmentMs));

    /// <summary>
    /// The page's slider on a click refined on its mask (CRF, GrabCut): re-thresholds the session's last click, which runs
    /// the refinement again on the new threshold (the similarity map is not recomputed), and sends the mask as one byte per
    /// pixel, 0 or 255 (gzip-encoded like the map), with the threshold and the selection's size in headers.
    /// </summary>
    private static async Task MaskOf(string id, HttpContext context, SegmentationService s)
    {
        ImageEntry known = s.Find(id);
        bool gzip = ShouldGzip(context);
        // Copied out of the session like the map, so that a slow reader never holds the session's gate.
        using MemoryBudget.Lease copy = await s.Budget.AcquireAsync((long)known.Width * known.Height * (gzip ? 2 : 1), "a mask", context.RequestAborted);
        HttpResponse response = context.Response;
        var (buffer, length) = await RethresholdAsync(id, context, s, (session, segmentMs) =>
        {
            var (body, compressMs) = session.EncodeMask(gzip);
            byte[] rented = CopyToRented(body);
            SetBinaryHeaders(response, body.Length, gzip, string.Create(CultureInfo.InvariantCulture,
                $"rethreshold;dur={segmentMs:0.00}, gzip;dur={compressMs:0.00}"), session.Result);
            return (rented, body.Length);
        });
        await WriteRentedAsync(response, buffer, length, context.RequestAborted);
    }

    /// <summary>
    /// Reads a slider move (session and threshold), re-thresholds the session's last click under its gate, and runs
    /// <paramref name="respond"/> with the time that took while the gate is still held.
    /// </summary>
    /// <exception cref="ApiException">400 without a threshold in [-1, 1]; 409 when the session has no click on this image.</exception>
    private static async Task<T> RethresholdAsync<T>(string id, HttpContext context, SegmentationService s, Func<ClickSession, double, T> respond)
    {
        ImageEntry entry = s.Find(id);
        ClickRequest request = await ReadJsonAsync(context);
        string sessionId = SessionId(request.Session);
        float threshold = Threshold(request.Threshold ?? throw new ApiException(StatusCodes.Status400BadRequest, "Give a threshold in [-1, 1]."));
        ClickSession session = entry.FindSession(sessionId) is { HasResult: true } found
            ? found
            : throw new ApiException(StatusCodes.Status409Conflict, $"Session “{sessionId}” has no click on this image yet: POST /segment first.");
        await session.Gate.WaitAsync(context.RequestAborted);
        try
        {
            long start = Stopwatch.GetTimestamp();
            s.Segmenter.Rethreshold(session.Result, threshold);
            return respond(session, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        finally
        {
            session.Gate.Release();
        }
    }

    /// <summary>A pooled copy of a session's reply bytes (at least one byte long); return it with <see cref="WriteRentedAsync"/>.</summary>
    private static byte[] CopyToRented(ReadOnlyMemory<byte> body)
    {
        byte[] rented = ArrayPool<byte>.Shared.Rent(Math.Max(1, body.Length));
        body.Span.CopyTo(rented);
        return rented;
    }

    /// <summary>Sends the first <paramref name="length"/> bytes of a pooled copy and returns it to the pool.</summary>
    private static async Task WriteRentedAsync(HttpResponse response, byte[] rented, int length, CancellationToken cancellationToken)
    {
        try
        {
            await response.Body.WriteAsync(rented.AsMemory(0, length), cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The headers of a per-pixel reply (a map or a mask): its length and encoding, timings, threshold and selection.</summary>
    private static void SetBinaryHeaders(HttpResponse response, int length, bool gzip, string serverTiming, SegmentationResult result)
    {
        response.ContentType = "application/octet-stream";
        response.ContentLength = length;
        response.Headers.CacheControl = "no-store";
        response.Headers.Vary = "Accept-Encoding";
        // Compressed here rather than by middleware, and only these routes: the browser inflates natively in its network
        // stack (inflating in JavaScript with DecompressionStream measured slower than sending the raw bytes).
        if (gzip) response.Headers.ContentEncoding = "gzip";
        response.Headers["Server-Timing"] = serverTiming;
        response.Headers["X-DinoSeg-Threshold"] = result.Threshold.ToString("R", CultureInfo.InvariantCulture);
        response.Headers["X-DinoSeg-Selected-Pixels"] = result.SelectedPixels.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// One of the library's rendered views as a PNG, for downloads: stateless (the prompt and threshold in the query), so a
    /// link keeps working whatever the sessions do. Uses the full segmenter, soft mask included, refined when
    /// <c>refine=true</c> like the page's clicks.
    /// </summary>
    private static async Task<IResult> RenderView(string id, string view, string? seeds, string? negatives, string? box, bool? keepSeedRegions, int? minArea,
        string? threshold, bool? refine, SegmentationService s, HttpContext context)
    {
        if (!ViewWriter.TryParseView(view, out SegmentationView drawn))
        {
            throw new ApiException(StatusCodes.Status404NotFound, $"Unknown view “{Clean(view)}”; views: {string.Join(", ", Views)}.");
        }

        using StatelessClick click = await SegmentQueryAsync(id, new ClickQuery(seeds, negatives, box, keepSeedRegions, minArea, threshold, refine),
            RenderBytesPerPixel, $"rendering the {view} view", s, context);
        return Results.File(RenderPng(drawn, click.Entry, click.Result), "image/png", $"{Path.GetFileNameWithoutExtension(click.Entry.Name)}-{view}.png");
    }

    /// <summary>
    /// The mask in a format other tools import, made by the library (<see cref="DinoSeg.Masks"/>) for the click the query
    /// describes, like a view; <c>zip</c>: every export and the mask, soft-mask, cut-out and overlay PNGs in one archive.
    /// </summary>
    private static async Task<IResult> RenderExport(string id, string format, string? seeds, string? negatives, string? box, bool? keepSeedRegions,
        int? minArea, string? threshold, bool? refine, double? tolerance, SegmentationService s, HttpContext context)
    {
        bool zip = format == "zip";
        if (!zip && !Exports.Any(e => e.Format == format))
        {
            throw new ApiException(StatusCodes.Status404NotFound,
                $"Unknown export “{Clean(format)}”; exports: {string.Join(", ", Exports.Select(e => e.Format))}, zip.");
        }

        double simplify = Tolerance(tolerance);
        // The archive holds four rendered views at once beside the traced labels (an int and a flag per pixel).
        using StatelessClick click = await SegmentQueryAsync(id, new ClickQuery(seeds, negatives, box, keepSeedRegions, minArea, threshold, refine),
            zip ? 4 * RenderBytesPerPixel + 8 : RenderBytesPerPixel + 8, $"the {format} export", s, context);
        string stem = Path.GetFileNameWithoutExtension(click.Entry.Name);
        if (!zip)
        {
            var (_, file, contentType) = Exports.First(e => e.Format == format);
            return Results.File(Encoding.UTF8.GetBytes(ExportText(format, click, simplify)), contentType, $"{stem}-{file}");
        }

        using var archive = new MemoryStream();
        using (var writer = new ZipArchive(archive, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (SegmentationView view in ZipViews) Add(writer, ViewWriter.FileName(view), RenderPng(view, click.Entry, click.Result), CompressionLevel.NoCompression);
            foreach (var (name, file, _) in Exports) Add(writer, file, Encoding.UTF8.GetBytes(ExportText(name, click, simplify)), CompressionLevel.Optimal);
            Add(writer, "prompt.json", JsonSerializer.SerializeToUtf8Bytes(DescribePrompt(click, simplify), Json), CompressionLevel.Optimal);
        }

        return Results.File(archive.ToArray(), "application/zip", $"{stem}-exports.zip");
    }

    /// <summary>The exports by route name: the file each is saved as (the CLI's names) and its media type.</summary>
    internal static readonly (string Format, string File, string ContentType)[] Exports =
    [
        ("rle", "mask.rle.json", "application/json"),
        ("coco", "coco.json", "application/json"),
        ("geojson", "mask.geojson", "application/geo+json"),
        ("svg", "mask.svg", "image/svg+xml"),
        ("yolo", "mask.yolo.txt", "text/plain; charset=utf-8"),
    ];

    /// <summary>The views a zip export carries as PNGs (PNG is compressed already: stored as is).</summary>
    internal static readonly SegmentationView[] ZipViews = [SegmentationView.Mask, SegmentationView.SoftMask, SegmentationView.Cutout, SegmentationView.Overlay];

    /// <summary>Polygon simplification when the query names none: the CLI's default, one pixel.</summary>
    private const double DefaultTolerance = 1;

    private static string ExportText(string format, StatelessClick click, double tolerance)
    {
        SegmentationResult result = click.Result;
        return format switch
        {
            "rle" => CocoRle.Encode(result).ToJson(),
            "coco" => CocoRle.Encode(result).ToCocoDocument(click.Entry.Name),
            "geojson" => PolygonFormats.ToGeoJson(MaskContours.Trace(result, tolerance), result.Width, result.Height),
            "svg" => PolygonFormats.ToSvg(MaskContours.Trace(result, tolerance), result.Width, result.Height),
            _ => PolygonFormats.ToYoloLines(MaskContours.Trace(result, tolerance), result.Width, result.Height),
        };
    }

    /// <summary>What a zip's prompt.json records: the image, the prompt as the server read it, and the outcome.</summary>
    private static object DescribePrompt(StatelessClick click, double tolerance)
    {
        SegmentationResult result = click.Result;
        return new
        {
            image = click.Entry.Name,
            width = result.Width,
            height = result.Height,
            seeds = result.Seeds.Select(p => new[] { p.X, p.Y }),
            negatives = result.NegativeSeeds.Select(p => new[] { p.X, p.Y }),
            box = Corners(result.Box),
            threshold = result.Threshold,
            selectedPixels = result.SelectedPixels,
            polygonTolerance = tolerance,
            files = ZipViews.Select(ViewWriter.FileName).Concat(Exports.Select(e => e.File)),
        };
    }

    private static void Add(ZipArchive archive, string name, byte[] bytes, CompressionLevel level)
    {
        using Stream entry = archive.CreateEntry(name, level).Open();
        entry.Write(bytes);
    }

    private static double Tolerance(double? tolerance) =>
        tolerance is null ? DefaultTolerance
        : tolerance is >= 0 and <= 100 ? tolerance.Value
        : throw new ApiException(StatusCodes.Status400BadRequest,
            $"The polygon tolerance is a distance in pixels in [0, 100] (0: the exact outline); found {tolerance.Value.ToString(CultureInfo.InvariantCulture)}.");

    private static byte[] RenderPng(SegmentationView view, ImageEntry entry, SegmentationResult result)
    {
        using Image<Rgb24> original = entry.WrapImage();
        using Image image = Renderer.Render(view, original, result);
        using var png = new MemoryStream();
        image.Save(png, SegmentationService.FastPng);
        return png.ToArray();
    }

    /// <summary>The prompt of a view or export URL, as query text.</summary>
    private sealed record ClickQuery(string? Seeds, string? Negatives, string? Box, bool? KeepSeedRegions, int? MinArea, string? Threshold, bool? Refine);

    /// <summary>A click segmented from a URL's query into a result of its own, with the memory it holds reserved until disposed.</summary>
    private sealed record StatelessClick(ImageEntry Entry, SegmentationResult Result, MemoryBudget.Lease Lease) : IDisposable
    {
        public void Dispose() => Lease.Dispose();
    }

    /// <summary>
    /// Segments the query's click with the full segmenter (soft mask included, refined when asked) into a fresh result:
    /// nothing of any session is read or changed, so a link keeps working whatever the sessions do.
    /// </summary>
    /// <param name="bytesPerPixel">What the caller makes from the result per pixel, reserved with the result itself.</param>
    private static async Task<StatelessClick> SegmentQueryAsync(string id, ClickQuery query, long bytesPerPixel, string purpose, SegmentationService s,
        HttpContext context)
    {
        ImageEntry entry = s.Find(id);
        PixelRect? rect = query.Box is null ? null : ParseBox(query.Box.Split(','), entry);
        var prompt = new Prompt(ParsePoints(query.Seeds, entry, "seeds", allowNone: rect is not null), ParsePoints(query.Negatives, entry, "negatives", allowNone: true),
            rect, query.KeepSeedRegions ?? false, Area(query.MinArea), query.Refine ?? false);
        float? threshold = ParseThreshold(query.Threshold);
        // A stateless render allocates a whole result and what is made from it: reserved before any of it exists.
        long pixels = (long)entry.Width * entry.Height;
        MemoryBudget.Lease lease = await s.Budget.AcquireAsync(entry.SessionBytes + pixels * (bytesPerPixel + (prompt.Refine ? 32 : 0)), purpose, context.RequestAborted);
        try
        {
            var result = new SegmentationResult(entry.Features);
            if (prompt.Refine)
            {
                (result.Guide, bool made) = entry.GetOrCreateGuide();
                if (made) s.Cache.Grew(entry);
            }

            SegmentationOptions options = s.OptionsFor(prompt, full: true);
            var click = new SegmentationPrompt(prompt.Seeds, prompt.Negatives, prompt.Box);
            if (threshold is { } t) s.Segmenter.Segment(entry.Features, click, t, result, options);
            else s.Segmenter.SegmentAuto(entry.Features, click, into: result, options: options);
            return new StatelessClick(entry, result, lease);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether to gzip the map: it shrinks about 3.5-fold, which pays over a network, but on loopback the browser takes
    /// the raw bytes as fast as the compressed ones (measured), so the server skips the compression there.
    /// </summary>
    internal static bool ShouldGzip(HttpContext context) =>
        context.Request.Headers.AcceptEncoding.Any(v => v is not null && v.Contains("gzip", StringComparison.OrdinalIgnoreCase))
        && context.Connection.RemoteIpAddress is { } remote
        && !IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote);

    private static ClickSession SessionFor(SegmentationService s, ImageEntry entry, string sessionId)
    {
        var (session, created) = entry.GetOrCreateSession(sessionId);
        if (created) s.Cache.Grew(entry);
        return session;
    }

    private static SegmentInfo Describe(ClickSession session, double segmentMs)
    {
        SegmentationResult result = session.Result;
        SegmentationOptions options = result.Options!;
        return new(result.Threshold, result.SelectedPixels, Math.Round(result.AreaFraction, 6), result.Width, result.Height,
            SeedsOf(result.Seeds, result.Grid), SeedsOf(result.NegativeSeeds, result.Grid), Corners(result.Box), Corners(result.BoxLimit),
            options.KeepSeedRegionsOnly, options.MinRegionArea, options.Refinement != Refinement.None, Math.Round(segmentMs, 3));
    }

    private static SeedInfo[] SeedsOf(IReadOnlyList<PixelPoint> seeds, PatchGrid grid) =>
    [
        .. seeds.Select(p =>
        {
            var (row, col) = grid.PatchAt(p);
            var (x0, y0, x1, y1) = grid.PatchBounds(row, col);
            return new SeedInfo(p.X, p.Y, [x0, y0, x1, y1]);
        }),
    ];

    private static int[]? Corners(PixelRect? r) => r is PixelRect b ? [b.X0, b.Y0, b.X1, b.Y1] : null;

    /// <summary>The session, prompt and threshold of a click, checked against the image.</summary>
    /// <exception cref="ApiException">400 with what is wrong.</exception>
    /// <remarks>No threshold (null): the library's rule picks one per click.</remarks>
    private static async Task<(string Session, Prompt Prompt, float? Threshold)> ReadClickAsync(HttpContext context, ImageEntry entry)
    {
        ClickRequest request = await ReadJsonAsync(context);
        PixelRect? box = request.Box is null ? null : ParseBox([.. request.Box.Select(v => v.ToString(CultureInfo.InvariantCulture))], entry);
        if (request.Seeds is not { Length: > 0 } && box is null)
        {
            throw new ApiException(StatusCodes.Status400BadRequest, "Give at least one seed as \"seeds\": [[x, y]], or a \"box\": [x0, y0, x1, y1].");
        }

        var prompt = new Prompt(Points(request.Seeds, entry, "seeds"), Points(request.Negative, entry, "negative"), box,
            request.KeepSeedRegions ?? false, Area(request.MinArea), request.Refine ?? false);
        return (SessionId(request.Session), prompt, request.Threshold is { } t ? Threshold(t) : null);
    }

    private static PixelPoint[] Points(int[][]? pairs, ImageEntry entry, string name)
    {
        if (pairs is null) return [];
        if (pairs.Length > MaxSeeds) throw new ApiException(StatusCodes.Status400BadRequest, $"At most {MaxSeeds} {name}, found {pairs.Length}.");
        var points = new PixelPoint[pairs.Length];
        for (int i = 0; i < pairs.Length; i++)
        {
            if (pairs[i] is not [int x, int y]) throw new ApiException(StatusCodes.Status400BadRequest, $"Each of \"{name}\" is [x, y], two integers.");
            points[i] = Inside(new PixelPoint(x, y), entry);
        }

        return points;
    }

    /// <summary>A box from its four corner numbers, checked against the image.</summary>
    private static PixelRect ParseBox(string[] values, ImageEntry entry)
    {
        var v = new int[4];
        if (values.Length != 4 || !values.Select((t, k) => int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out v[k])).All(ok => ok))
        {
            throw new ApiException(StatusCodes.Status400BadRequest, "A box is four integers x0, y0, x1, y1 (x1, y1 exclusive).");
        }

        var box = new PixelRect(v[0], v[1], v[2], v[3]);
        return box.FitsIn(entry.Width, entry.Height)
            ? box
            : throw new ApiException(StatusCodes.Status400BadRequest,
                $"Box {box} does not fit the {entry.Width}x{entry.Height} image (0 ≤ x0 < x1 ≤ {entry.Width}, 0 ≤ y0 < y1 ≤ {entry.Height}).");
    }

    /// <summary>A view URL's threshold: a number in [-1, 1], or absent or "auto" (null) for the library's rule.</summary>
    private static float? ParseThreshold(string? text) =>
        text is null or "auto" ? null
        : float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float t) ? Threshold(t)
        : throw new ApiException(StatusCodes.Status400BadRequest, $"The threshold must be a number in [-1, 1] or \"auto\"; found “{Clean(text)}”.");

    private static int Area(int? minArea) =>
        minArea is null or (>= 0 and <= 100_000_000)
            ? minArea ?? 0
            : throw new ApiException(StatusCodes.Status400BadRequest, $"The minimum region area is a pixel count of 0 or more; found {minArea}.");

    private static async Task<ClickRequest> ReadJsonAsync(HttpContext context)
    {
        // Bounded before parsing: a 28 MB array of seeds must not be read, let alone deserialized.
        const string tooLarge = "A click's JSON body is at most 64 KiB (at most 64 seeds and 64 negatives).";
        if (context.Request.ContentLength > MaxJsonBytes) throw new ApiException(StatusCodes.Status413PayloadTooLarge, tooLarge);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(MaxJsonBytes + 1);
        try
        {
            int length = 0, read;
            while (length <= MaxJsonBytes && (read = await context.Request.Body.ReadAsync(buffer.AsMemory(length, MaxJsonBytes + 1 - length), context.RequestAborted)) > 0)
            {
                length += read;
            }

            if (length > MaxJsonBytes) throw new ApiException(StatusCodes.Status413PayloadTooLarge, tooLarge);
            return JsonSerializer.Deserialize<ClickRequest>(buffer.AsSpan(0, length), Json)
                ?? throw new ApiException(StatusCodes.Status400BadRequest, "The body must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw new ApiException(StatusCodes.Status400BadRequest,
                $"The body must be JSON like {{\"session\": \"tab-1\", \"seeds\": [[172, 115]], \"threshold\": 0.2}} ({e.Message}).");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Points from a query such as <c>172,115;318,137</c>.</summary>
    private static PixelPoint[] ParsePoints(string? text, ImageEntry entry, string name, bool allowNone)
    {
        string[] parts = (text ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length > MaxSeeds || (parts.Length == 0 && !allowNone))
        {
            throw new ApiException(StatusCodes.Status400BadRequest, $"Give 1 to {MaxSeeds} {name} as ?{name}=x,y;x,y (or a ?box=x0,y0,x1,y1).");
        }

        var points = new PixelPoint[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            string[] xy = parts[i].Split(',');
            if (xy.Length != 2 || !int.TryParse(xy[0], CultureInfo.InvariantCulture, out int x) || !int.TryParse(xy[1], CultureInfo.InvariantCulture, out int y))
            {
                throw new ApiException(StatusCodes.Status400BadRequest, $"A point is x,y in pixels; found “{Clean(parts[i])}”.");
            }

            points[i] = Inside(new PixelPoint(x, y), entry);
        }

        return points;
    }

    private static PixelPoint Inside(PixelPoint p, ImageEntry entry) =>
        p.X >= 0 && p.Y >= 0 && p.X < entry.Width && p.Y < entry.Height
            ? p
            : throw new ApiException(StatusCodes.Status400BadRequest,
                $"Seed {p} lies outside the {entry.Width}x{entry.Height} image (0 ≤ x < {entry.Width}, 0 ≤ y < {entry.Height}).");

    private static float Threshold(float t) =>
        t is >= -1f and <= 1f ? t : throw new ApiException(StatusCodes.Status400BadRequest, $"The threshold must be in [-1, 1]; found {t.ToString(CultureInfo.InvariantCulture)}.");

    private static string SessionId(string? session)
    {
        if (string.IsNullOrEmpty(session)) return DefaultSession;
        bool ok = session.Length <= 64 && session.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
        return ok ? session : throw new ApiException(StatusCodes.Status400BadRequest, "A session id is 1 to 64 characters of A-Z, a-z, 0-9, - and _.");
    }

    /// <summary>
    /// Reads the upload, refusing it as soon as it passes the limit: by its declared length before reading anything, or
    /// by counting when it is sent in chunks.
    /// </summary>
    private static async Task<byte[]> ReadBodyAsync(HttpContext context, long max, string name)
    {
        if (context.Request.ContentLength is long declared && declared > max) throw SegmentationService.TooManyBytes(name, declared, max);
        // Kestrel's own limit (30 MB by default) must not cut in first with a message that names no limit.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = null;

        byte[] file = await ReadBoundedAsync(context.Request.Body, max, name, context.RequestAborted, (int)Math.Min(context.Request.ContentLength ?? 1 << 16, max));
        if (file.Length == 0) throw new ApiException(StatusCodes.Status400BadRequest, "The request body is empty: send the image file's bytes.");
        return file;
    }

    /// <summary>All of <paramref name="source"/>, refused with a 413 as soon as it passes <paramref name="max"/> bytes.</summary>
    private static async Task<byte[]> ReadBoundedAsync(Stream source, long max, string name, CancellationToken cancellationToken, int capacity = 1 << 16)
    {
        using var body = new MemoryStream(capacity);
        byte[] chunk = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            int read;
            while ((read = await source.ReadAsync(chunk, cancellationToken)) > 0)
            {
                body.Write(chunk, 0, read);
                if (body.Length > max) throw SegmentationService.TooManyBytes(name, null, max);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return body.ToArray();
    }

    /// <summary>Client text as it may appear in a message: printable, at most 100 characters.</summary>
    private static string Clean(string text)
    {
        string printable = new([.. text.Where(c => !char.IsControl(c))]);
        return printable.Length <= 100 ? printable.Trim() : printable[..100].Trim() + "…";
    }
}
