namespace DinoSeg.Web;

/// <summary>Builds the web sample: Kestrel on loopback unless told otherwise, the page, and the API.</summary>
internal static class WebApp
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
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
        builder.Services.AddSingleton(_ => new SegmentationService(options));

        WebApplication app = builder.Build();
        // Load the backbone now, not on the first request, so a bad model fails at start-up.
        _ = app.Services.GetRequiredService<SegmentationService>();

        ILogger logger = app.Logger;
        app.Use(async (context, next) =>
        {
            context.Response.Headers.XContentTypeOptions = "nosniff";
            try
            {
                await next(context);
            }
            catch (Exception e) when (!context.Response.HasStarted)
            {
                await WriteError(context, e, logger);
            }
        });
        MapPage(app);
        Api.Map(app);
        return app;
    }

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

            app.MapGet("/" + name, Serve);
            if (name == "index.html") app.MapGet("/", Serve);
        }
    }

    /// <summary>
    /// Every failure becomes <c>{"error": "…"}</c>: the API's refusals with their status (they are expected, so not
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
        context.Response.Clear();
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ErrorInfo(message));
    }
}
