using System.Net;
using Microsoft.AspNetCore.WebUtilities;

namespace DinoSeg.Web;

/// <summary>Builds the web sample: Kestrel on loopback unless told otherwise, the page, and the API.</summary>
internal static class WebApp
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    };

    /// <summary>
    /// The application, not yet started. <paramref name="args"/> are the usual ASP.NET Core ones (<c>--urls</c>,
    /// <c>--DinoSeg:MaxUploadBytes=…</c>); <paramref name="options"/>, when given, replaces the <c>DinoSeg</c> section.
    /// </summary>
    public static WebApplication Create(string[] args, WebOptions? options = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });

        // Nothing listens beyond loopback unless asked: with no --urls, ASPNETCORE_URLS or Kestrel endpoints, bind
        // 127.0.0.1 only (ASP.NET Core's own default would be "localhost", and HTTP_PORTS in containers means every interface).
        if (!AddressConfigured(builder.Configuration)) builder.WebHost.UseUrls(WebOptions.DefaultUrl);

        // One log line per request costs more than a click's whole per-click path; keep ASP.NET Core's own chatter at
        // warnings unless the configuration says otherwise ("Now listening on" comes from Microsoft.Hosting and stays).
        if (builder.Configuration["Logging:LogLevel:Microsoft.AspNetCore"] is null) builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        options ??= builder.Configuration.GetSection("DinoSeg").Get<WebOptions>() ?? new WebOptions();
        options.Validate();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(options.HeadersTimeoutSeconds));
        var requestTimeout = TimeSpan.FromSeconds(options.RequestTimeoutSeconds);
        builder.Services.AddSingleton(_ => new SegmentationService(options));
        builder.Services.AddOpenApi();
        // A query or route value that does not bind (?threshold=abc) throws, so it gets the JSON error body like any other 400.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        bool loopbackOnly = LoopbackOnly(builder.Configuration);

        WebApplication app = builder.Build();
        // Load the backbone now, not on the first request, so a bad model fails at start-up.
        _ = app.Services.GetRequiredService<SegmentationService>();

        ILogger logger = app.Logger;
        app.Use(async (context, next) =>
        {
            SecurityHeaders(context.Response);
            // Past the deadline the connection is aborted: whatever the request holds (a reply nobody reads, an upload
            // that stalled) is released, and its pending read or write fails.
            using var deadline = new CancellationTokenSource(requestTimeout);
            using CancellationTokenRegistration abort = deadline.Token.Register(static c => ((HttpContext)c!).Abort(), context);
            try
            {
                RefuseForeignRequest(context, loopbackOnly);
                await next(context);
            }
            catch (Exception) when (deadline.IsCancellationRequested)
            {
                logger.LogWarning("{Method} {Path} was aborted after {Seconds} s (DinoSeg:RequestTimeoutSeconds): the client did not send or take its data",
                    context.Request.Method, context.Request.Path, options.RequestTimeoutSeconds);
            }
            catch (Exception e) when (!context.Response.HasStarted)
            {
                await WriteError(context, e, logger);
            }
        });
        MapPage(app);
        Api.Map(app);
        app.MapOpenApi(); // /openapi/v1.json
        return app;
    }

    /// <summary>
    /// Headers on every response, errors included (<see cref="WriteError"/> puts them back after clearing the response): no
    /// content sniffing, and a policy that lets the page load only its own scripts, styles and images and never be framed.
    /// </summary>
    private static void SecurityHeaders(HttpResponse response)
    {
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        response.Headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
            "img-src 'self' blob: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
        response.Headers["Referrer-Policy"] = "no-referrer";
        // Everything under /api holds a user's image or what was computed from it (pixels, views, masks, numbers): no cache,
        // shared or private, may keep it. The page's own files (no-cache, revalidated) are the only cacheable replies.
        if (response.HttpContext.Request.Path.StartsWithSegments("/api")) response.Headers.CacheControl = "no-store";
    }

    /// <summary>
    /// Refuses requests that another web page made the visitor's browser send: a POST (or any other unsafe method) whose
    /// Origin is not this server, or that the browser marks cross-site; and, while the server listens on loopback only, a
    /// Host that is not a loopback name (a DNS-rebinding page reaching 127.0.0.1 under its own name).
    /// </summary>
    /// <exception cref="ApiException">403 (421 for a foreign Host).</exception>
    private static void RefuseForeignRequest(HttpContext context, bool loopbackOnly)
    {
        HttpRequest request = context.Request;
        if (loopbackOnly && !IsLoopbackName(request.Host.Host))
        {
            throw new ApiException(StatusCodes.Status421MisdirectedRequest,
                $"This server answers only to localhost, 127.0.0.1 and [::1], not to “{request.Host.Host}”.");
        }

        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method)) return;
        if (string.Equals(request.Headers["Sec-Fetch-Site"], "cross-site", StringComparison.OrdinalIgnoreCase))
        {
            throw new ApiException(StatusCodes.Status403Forbidden, "Cross-site requests are refused: use the page this server serves.");
        }

        string? origin = request.Headers.Origin;
        if (origin is null) return; // not sent by a browser's cross-origin request (curl, scripts, same-origin forms)
        bool same = Uri.TryCreate(origin, UriKind.Absolute, out Uri? uri)
            && string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
        if (!same) throw new ApiException(StatusCodes.Status403Forbidden, $"Requests from other origins (“{origin}”) are refused: use the page this server serves.");
    }

    /// <summary>Whether every address the server listens on is a loopback one (the default, 127.0.0.1).</summary>
    private static bool LoopbackOnly(IConfiguration configuration)
    {
        if (configuration.GetSection("Kestrel:Endpoints").Exists()) return false;
        string urls = AddressConfigured(configuration) ? configuration["urls"]! : WebOptions.DefaultUrl;
        return urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .All(url => Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) && IsLoopbackName(uri.Host));
    }

    private static bool IsLoopbackName(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? address) && IPAddress.IsLoopback(address));

    /// <summary>Whether the configuration names where to listen (then it is used as given).</summary>
    public static bool AddressConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["urls"]) || configuration.GetSection("Kestrel:Endpoints").Exists();

    private static void MapPage(WebApplication app)
    {
        EmbeddedFiles page = EmbeddedFiles.Load("page/");
        foreach (string name in page.Names)
        {
            byte[] bytes = page.Find(name)!;
            string type = ContentTypes.GetValueOrDefault(Path.GetExtension(name), "application/octet-stream");
            IResult Serve(HttpContext context)
            {
                context.Response.Headers.CacheControl = "no-cache";
                return Results.Bytes(bytes, type);
            }

            // The page's files are no part of the API the OpenAPI document describes.
            app.MapGet("/" + name, Serve).ExcludeFromDescription();
            if (name == "index.html") app.MapGet("/", Serve).ExcludeFromDescription();
            if (name == "favicon.svg") app.MapGet("/favicon.ico", Serve).ExcludeFromDescription(); // browsers ask for it whatever the page links
        }
    }

    /// <summary>
    /// Every failure becomes an RFC 9457 problem detail (<see cref="ProblemInfo"/>, its message in <c>detail</c> and
    /// <c>error</c>): the API's refusals with their status (they are expected, so not
    /// logged), anything else as 500 and logged.
    /// </summary>
    private static Task WriteError(HttpContext context, Exception error, ILogger logger)
    {
        (int status, string message) = error switch
        {
            ApiException e => (e.Status, e.Message),
            BadHttpRequestException e => (e.StatusCode, e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? "The upload is larger than this server accepts."
                : $"Bad request: {e.Message}"),
            OperationCanceledException when context.RequestAborted.IsCancellationRequested => (499, "The request was cancelled."),
            DinoSegException e => (StatusCodes.Status500InternalServerError, e.Message),
            _ => (StatusCodes.Status500InternalServerError, $"Unexpected {error.GetType().Name}: {error.Message}"),
        };
        if (status >= 500) logger.LogError(error, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
        context.Response.Clear(); // clears the headers too
        SecurityHeaders(context.Response);
        context.Response.StatusCode = status;
        if (error is ApiException { RetryAfterSeconds: int retry }) context.Response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string title = ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : status == 499 ? "Client Closed Request" : "Error";
        return context.Response.WriteAsJsonAsync(new ProblemInfo("about:blank", title, status, message, message), options: null, contentType: "application/problem+json; charset=utf-8");
    }
}
