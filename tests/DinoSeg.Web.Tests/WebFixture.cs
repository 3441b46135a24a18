using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;

namespace DinoSeg.Web.Tests;

/// <summary>
/// One real server for the whole collection: Kestrel on 127.0.0.1 with an OS-chosen port, in this process, with small
/// upload limits so the limit tests need no large files. The browser starts on first use, so the plain HTTP tests do not
/// depend on it; the browser tests fail (never skip) when Chromium is missing.
/// </summary>
public sealed class WebFixture : IAsyncLifetime
{
    /// <summary>Debian's Chromium; <c>DINOSEG_CHROMIUM</c> overrides. Playwright never downloads a browser here.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("DINOSEG_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    // As root in a container Chromium needs no sandbox; the rest keep it from calling home (connections there are refused noisily).
    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    internal static WebOptions Options { get; } = new()
    {
        MaxUploadBytes = 3 * 1024 * 1024,
        MaxPixels = 2_000_000,
        CacheImages = 8,
    };

    private readonly SemaphoreSlim _browserGate = new(1, 1);
    private readonly SemaphoreSlim _serversGate = new(1, 1);
    private readonly Dictionary<string, RefineServer> _refineServers = [];
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    internal WebApplication App { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    /// <summary>Where tests leave screenshots and measurements: under the test output.</summary>
    public static string OutputDirectory { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "web-test-output")).FullName;


    public async Task InitializeAsync()
    {
        App = WebApp.Create(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"], Options);
        await App.StartAsync();
        BaseAddress = new Uri(App.Urls.Single());
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>The shared headless Chromium, launched on first use.</summary>
    public async Task<IBrowser> BrowserAsync()
    {
        await _browserGate.WaitAsync();
        try
        {
            if (_browser is not null) return _browser;
            if (!File.Exists(ChromiumPath))
            {
                throw new InvalidOperationException(
                    $"Chromium is not installed at {ChromiumPath}: run 'apt-get install -y chromium' (.ci/run does), or set DINOSEG_CHROMIUM.");
            }

            Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
            _playwright = await Playwright.CreateAsync();
            _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Args = ChromiumArgs,
            });
            return _browser;
        }
        finally
        {
            _browserGate.Release();
        }
    }

    /// <summary>
    /// A second server like this one but with <c>DinoSeg:Refine=<paramref name="refine"/></c> ("guided", "grabcut"), started
    /// on first use and kept for the collection: the main server keeps the default (the CRF).
    /// </summary>
    internal async Task<RefineServer> RefineServerAsync(string refine)
    {
        await _serversGate.WaitAsync();
        try
        {
            if (_refineServers.TryGetValue(refine, out RefineServer? server)) return server;
            WebApplication app = WebApp.Create(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"], Options with { Refine = refine });
            await app.StartAsync();
            var address = new Uri(app.Urls.Single());
            server = new RefineServer(app, address, new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) });
            _refineServers.Add(refine, server);
            return server;
        }
        finally
        {
            _serversGate.Release();
        }
    }

    /// <summary>A fresh browser context (own storage, own session id) with the page loaded and ready.</summary>
    /// <param name="width">Viewport width in CSS pixels.</param>
    /// <param name="height">Viewport height.</param>
    /// <param name="hasTouch">A touch screen: taps and touch events work (as on a phone or tablet).</param>
    /// <param name="server">The server whose page to open; this fixture's main server when null.</param>
    public async Task<IPage> OpenPageAsync(int width = 1400, int height = 1000, bool hasTouch = false, Uri? server = null)
    {
        IBrowser browser = await BrowserAsync();
        IBrowserContext context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = (server ?? BaseAddress).ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            AcceptDownloads = true,
            HasTouch = hasTouch,
        });
        IPage page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, message) => errors.Add(message);
        await page.GotoAsync("/");
        await page.WaitForFunctionAsync("() => document.body.dataset.state === 'idle'");
        Assert.Empty(errors);
        return page;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.CloseAsync();
        _playwright?.Dispose();
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        foreach (RefineServer server in _refineServers.Values)
        {
            server.Http.Dispose();
            await server.App.StopAsync();
            await server.App.DisposeAsync();
        }

        _browserGate.Dispose();
        _serversGate.Dispose();
    }
}

/// <summary>A server started with another <c>DinoSeg:Refine</c>: the app, its address and a client for it.</summary>
internal sealed record RefineServer(WebApplication App, Uri BaseAddress, HttpClient Http);

[CollectionDefinition(Name)]
public sealed class WebCollection : ICollectionFixture<WebFixture>
{
    public const string Name = "web server";
}
