using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DinoSeg.Tests.Shared;
using Xunit.Abstractions;

namespace DinoSeg.Web.Tests;

/// <summary>
/// The web sample as a separate process under load from 16 clients clicking and sliding on the four bundled photos,
/// alone and with two clients uploading hostile files (decode bombs, lying headers, damaged files, bad JSON, oversized
/// bodies) meanwhile. Bounded: a fixed number of requests, every one with a timeout. The figures go to the test output and
/// to <c>web-test-output/load-N-hostile.json</c>; docs/reliability.md quotes them.
/// </summary>
public sealed class LoadTests(ITestOutputHelper output)
{
    private const long MiB = 1 << 20;
    private const long BudgetBytes = 1024 * MiB; // the default; a 16-megapixel upload reserves 256 MiB of it while it decodes

    /// <summary>
    /// What the process may use beyond the budget: the runtime and the backbone (measured as the baseline after the first
    /// clicks), plus this for what the budget does not count: garbage not yet collected, the allocators' slack and ONNX
    /// Runtime's working memory for extractions running at once.
    /// </summary>
    private const long OverheadBytes = 256 * MiB;

    private const int Clients = 16, Rounds = 8, SlidesPerClick = 3, HostileRounds = 2;

    private static readonly string[] Samples = ["astronaut.jpg", "chelsea.png", "coffee.png", "rocket.jpg"];

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task Server_SixteenClients_AnswerEveryRequestWithinTheMemoryBudget(int hostileClients)
    {
        // Arrange: the server, the photos opened, one click on each so that the baseline includes a warmed-up backbone.
        using WebServerProcess server = await WebServerProcess.StartAsync($"--DinoSeg:CacheBytes={BudgetBytes}", "--DinoSeg:BudgetWaitSeconds=30");
        var images = new List<(string Name, string Id, int Width, int Height)>();
        foreach (string name in Samples)
        {
            using HttpResponseMessage opened = await server.Http.PostAsync($"/api/samples/{name}", null);
            Assert.True(opened.StatusCode == HttpStatusCode.OK, await opened.Content.ReadAsStringAsync());
            JsonElement info = JsonDocument.Parse(await opened.Content.ReadAsStringAsync()).RootElement;
            images.Add((name, info.GetProperty("id").GetString()!, info.GetProperty("width").GetInt32(), info.GetProperty("height").GetInt32()));
            using HttpResponseMessage warm = await server.Http.PostAsJsonAsync($"/api/images/{images[^1].Id}/segment",
                new { session = "warm-up", seeds = new[] { new[] { images[^1].Width / 2, images[^1].Height / 2 } } });
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        long baseline = server.Memory().Resident;
        var log = new RequestLog();
        using var stop = new CancellationTokenSource();
        long peakResident = baseline;
        Task sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peakResident = Math.Max(peakResident, server.Memory().Resident);
                await Task.Delay(20);
            }
        });

        // Act
        var clock = Stopwatch.StartNew();
        Task[] clients = [.. Enumerable.Range(0, Clients).Select(i => Task.Run(() => ClickAndSlideAsync(server.BaseAddress, images, i, log)))];
        Task[] attackers = [.. Enumerable.Range(0, hostileClients).Select(i => Task.Run(() => UploadHostileFilesAsync(server.BaseAddress, images[0].Id, i, log)))];
        await Task.WhenAll([.. clients, .. attackers]);
        double seconds = clock.Elapsed.TotalSeconds;
        await Task.Delay(2000); // idle: what the server keeps after the load
        stop.Cancel();
        await sampler;
        (long finalResident, long highWaterMark) = server.Memory();

        // Report
        var figures = new
        {
            clients = Clients,
            hostileClients,
            budgetMiB = BudgetBytes / MiB,
            requests = log.Count,
            seconds = Math.Round(seconds, 1),
            click = log.Percentiles("click"),
            slide = log.Percentiles("slide"),
            hostile = log.Percentiles("hostile"),
            statuses = log.Statuses(),
            reopened = log.ReopenedCount,
            failures = log.Failures.Count,
            baselineMiB = baseline / MiB,
            peakResidentMiB = Math.Max(peakResident, highWaterMark) / MiB,
            finalResidentMiB = finalResident / MiB,
        };
        string json = JsonSerializer.Serialize(figures);
        output.WriteLine(json);
        File.WriteAllText(Path.Combine(WebFixture.OutputDirectory, $"load-{hostileClients}-hostile.json"), json);

        // Assert: every request answered as designed, no 5xx at all, and memory within budget plus the stated overhead.
        Assert.True(log.Failures.IsEmpty, string.Join("\n", log.Failures.Take(10)));
        Assert.True(log.CountOf("slide") >= Clients * Rounds * SlidesPerClick, $"{log.CountOf("slide")} slider moves");
        long limit = baseline + BudgetBytes + OverheadBytes;
        Assert.True(Math.Max(peakResident, highWaterMark) <= limit,
            $"peak resident set {Math.Max(peakResident, highWaterMark) / MiB} MiB over baseline {baseline / MiB} + budget {BudgetBytes / MiB} + overhead {OverheadBytes / MiB} MiB");
        string serverLog = server.StopAndReadLog();
        Assert.DoesNotContain("fail:", serverLog); // an unhandled error is logged at the error level, with its stack trace
        Assert.DoesNotContain("   at ", serverLog);
    }

    /// <summary>
    /// One client: clicks at random pixels of its photo (every fourth one refined), each followed by slider moves. Like the page,
    /// it opens the photo again when the server has evicted it (404; the hostile uploads are 16-megapixel images that push
    /// photos out of a small cache) and clicks again when its session went with it (409).
    /// </summary>
    private static async Task ClickAndSlideAsync(Uri server, List<(string Name, string Id, int Width, int Height)> images, int client, RequestLog log)
    {
        using var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(90) };
        var random = new Random(client);
        string session = $"client-{client}";
        var (name, id, width, height) = images[client % images.Count]; // four users per photo: the sessions a photo keeps
        for (int round = 0; round < Rounds; round++)
        {
            int[] seed = [random.Next(width), random.Next(height)];
            bool refine = round % 4 == 3;
            Task<HttpResponseMessage> Click() => http.PostAsJsonAsync($"/api/images/{id}/segment", new { session, seeds = new[] { seed }, refine });
            for (int slide = -1; slide < SlidesPerClick; slide++)
            {
                float threshold = (float)Math.Round(random.NextDouble() * 0.8 - 0.1, 3);
                HttpStatusCode status = slide < 0
                    ? await log.TimeAsync("click", Click)
                    : await log.TimeAsync("slide", () => http.PostAsJsonAsync($"/api/images/{id}/threshold", new { session, threshold }));
                for (int retry = 0; status is HttpStatusCode.NotFound or HttpStatusCode.Conflict; retry++)
                {
                    if (retry == 5)
                    {
                        log.Failures.Enqueue($"client {client}: {name} still {(int)status} after 5 re-opens");
                        break;
                    }

                    if (status == HttpStatusCode.NotFound)
                    {
                        using HttpResponseMessage opened = await http.PostAsync($"/api/samples/{name}", null);
                        log.Reopened();
                        id = JsonDocument.Parse(await opened.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
                    }

                    status = await log.TimeAsync("click", Click);
                    if (status == HttpStatusCode.OK && slide >= 0)
                    {
                        status = await log.TimeAsync("slide", () => http.PostAsJsonAsync($"/api/images/{id}/threshold", new { session, threshold }));
                    }
                }
            }
        }
    }

    /// <summary>One attacker: every hostile file and body, <see cref="HostileRounds"/> times, each answered with its expected status.</summary>
    private static async Task UploadHostileFilesAsync(Uri server, string imageId, int attacker, RequestLog log)
    {
        using var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(90) };
        byte[] truncated = File.ReadAllBytes(TestPaths.Image("chelsea.png"))[..5000];
        var random = new Random(100 + attacker);
        var junk = new byte[4096];
        random.NextBytes(junk);
        (string Name, byte[] Body, HttpStatusCode Expected)[] uploads =
        [
            ("gif40.gif", HostileFiles.GifManyFrames(4096, 40), HttpStatusCode.OK),   // frame 0 only: one 16-megapixel frame
            ("tiff40.tif", HostileFiles.TiffPages(Enumerable.Repeat((4096, 4096), 40).ToArray()), HttpStatusCode.OK),
            ("ztxt8x64.png", HostileFiles.PngTextBomb(8, 64 * MiB), HttpStatusCode.OK), // the text is never inflated
            ("huge.png", HostileFiles.PngHeaderOnly(100_000, 100_000), HttpStatusCode.RequestEntityTooLarge),
            ("cut.png", truncated, HttpStatusCode.UnprocessableEntity),
            ("junk.bin", junk, HttpStatusCode.UnsupportedMediaType),
        ];
        for (int round = 0; round < HostileRounds; round++)
        {
            foreach (var (name, body, expected) in uploads)
            {
                await log.TimeAsync("hostile", expected, () =>
                {
                    var content = new ByteArrayContent(body);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    var request = new HttpRequestMessage(HttpMethod.Post, "/api/images") { Content = content };
                    request.Headers.Add("X-File-Name", name);
                    return http.SendAsync(request);
                }, name);
            }

            await log.TimeAsync("hostile", HttpStatusCode.BadRequest,
                () => http.PostAsync($"/api/images/{imageId}/segment", new StringContent("{\"seeds\": [[1, 2]", Encoding.UTF8, "application/json")), "bad JSON");
            string seeds = "{\"seeds\":[" + string.Join(',', Enumerable.Repeat("[1,1]", 20_000)) + "]}"; // ~120 KB
            await log.TimeAsync("hostile", HttpStatusCode.RequestEntityTooLarge,
                () => http.PostAsync($"/api/images/{imageId}/segment", new StringContent(seeds, Encoding.UTF8, "application/json")), "oversized seeds");
        }
    }

    /// <summary>Latencies by kind, status counts, and every answer that was not the expected one.</summary>
    private sealed class RequestLog
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<string, List<double>> _latencies = [];
        private readonly Dictionary<int, int> _statuses = [];
        private int _reopened;

        public System.Collections.Concurrent.ConcurrentQueue<string> Failures { get; } = new();

        public int Count
        {
            get
            {
                lock (_lock) return _latencies.Values.Sum(l => l.Count);
            }
        }

        public int CountOf(string kind)
        {
            lock (_lock) return _latencies.GetValueOrDefault(kind)?.Count ?? 0;
        }

        public int ReopenedCount => Volatile.Read(ref _reopened);

        public void Reopened() => Interlocked.Increment(ref _reopened);

        /// <summary>A client's request: 200, or 404 / 409 after an eviction (the client then opens the photo again).</summary>
        public Task<HttpStatusCode> TimeAsync(string kind, Func<Task<HttpResponseMessage>> send) =>
            TimeAsync(kind, send, null, HttpStatusCode.OK, HttpStatusCode.NotFound, HttpStatusCode.Conflict);

        /// <summary>A hostile request, which must get exactly <paramref name="expected"/>.</summary>
        public Task<HttpStatusCode> TimeAsync(string kind, HttpStatusCode expected, Func<Task<HttpResponseMessage>> send, string what) =>
            TimeAsync(kind, send, what, expected);

        private async Task<HttpStatusCode> TimeAsync(string kind, Func<Task<HttpResponseMessage>> send, string? what, params HttpStatusCode[] expected)
        {
            long start = Stopwatch.GetTimestamp();
            try
            {
                using HttpResponseMessage response = await send();
                string body = await response.Content.ReadAsStringAsync();
                double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                lock (_lock)
                {
                    (_latencies.TryGetValue(kind, out List<double>? list) ? list : _latencies[kind] = []).Add(ms);
                    _statuses[(int)response.StatusCode] = _statuses.GetValueOrDefault((int)response.StatusCode) + 1;
                }

                if (!expected.Contains(response.StatusCode)) Failures.Enqueue($"{kind} {what}: {(int)response.StatusCode} (expected {string.Join(" or ", expected.Select(e => (int)e))}) {Truncate(body)}");
                else if (!response.IsSuccessStatusCode && !IsJsonError(response, body)) Failures.Enqueue($"{kind} {what}: {(int)response.StatusCode} without a JSON error: {Truncate(body)}");
                if (!response.Headers.TryGetValues("X-Content-Type-Options", out var nosniff) || !nosniff.Contains("nosniff")) Failures.Enqueue($"{kind} {what}: no nosniff header");
                return response.StatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                Failures.Enqueue($"{kind} {what}: {e.GetType().Name}: {e.Message}");
                return 0;
            }
        }

        public object Percentiles(string kind)
        {
            lock (_lock)
            {
                double[] sorted = [.. _latencies.GetValueOrDefault(kind) ?? []];
                Array.Sort(sorted);
                double At(double q) => sorted.Length == 0 ? 0 : Math.Round(sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)], 1);
                return new { count = sorted.Length, p50Ms = At(0.5), p99Ms = At(0.99), maxMs = At(1) };
            }
        }

        public Dictionary<string, int> Statuses()
        {
            lock (_lock) return _statuses.OrderBy(p => p.Key).ToDictionary(p => p.Key.ToString(), p => p.Value);
        }

        private static bool IsJsonError(HttpResponseMessage response, string body)
        {
            if (response.Content.Headers.ContentType?.MediaType?.Contains("json") != true) return false;
            try
            {
                return JsonDocument.Parse(body).RootElement.TryGetProperty("error", out JsonElement error) && error.GetString() is { Length: > 0 };
            }
            catch (JsonException)
            {
                return false;
            }
        }

        private static string Truncate(string s) => s.Length <= 200 ? s : s[..200] + "…";
    }
}
