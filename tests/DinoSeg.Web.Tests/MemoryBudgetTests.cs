using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace DinoSeg.Web.Tests;

/// <summary>
/// Memory follows the configured budget, not the number of clients (issue #18): every request's image-sized buffers are
/// reserved in <see cref="MemoryBudget"/> before they exist, the cache shrinks to make room, and a request that finds no
/// room waits and is then refused with 503 and Retry-After.
/// </summary>
public sealed class MemoryBudgetTests
{
    private const long MiB = 1 << 20;

    [Fact]
    public async Task Acquire_OverTheWholeBudget_Is503AtOnce()
    {
        var budget = new MemoryBudget(10 * MiB, () => 0, _ => { }, TimeSpan.FromSeconds(5));

        var e = await Assert.ThrowsAsync<ApiException>(() => budget.AcquireAsync(11 * MiB, "a test", CancellationToken.None));

        Assert.Equal(503, e.Status);
        Assert.Contains("whole memory budget", e.Message);
    }

    [Fact]
    public async Task Acquire_WhenFull_WaitsForARelease()
    {
        var budget = new MemoryBudget(10 * MiB, () => 0, _ => { }, TimeSpan.FromSeconds(20));
        MemoryBudget.Lease first = await budget.AcquireAsync(8 * MiB, "first", CancellationToken.None);

        Task<MemoryBudget.Lease> second = budget.AcquireAsync(8 * MiB, "second", CancellationToken.None);
        await Task.Delay(200);
        Assert.False(second.IsCompleted);
        first.Dispose();
        using MemoryBudget.Lease admitted = await second.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(8 * MiB, budget.InFlight);
        Assert.Equal(8 * MiB, budget.PeakInFlight);
    }

    [Fact]
    public async Task Acquire_WhenFullPastTheWait_Is503WithRetryAfter()
    {
        var budget = new MemoryBudget(10 * MiB, () => 0, _ => { }, TimeSpan.FromMilliseconds(300));
        using MemoryBudget.Lease held = await budget.AcquireAsync(8 * MiB, "first", CancellationToken.None);

        var e = await Assert.ThrowsAsync<ApiException>(() => budget.AcquireAsync(8 * MiB, "second", CancellationToken.None));

        Assert.Equal(503, e.Status);
        Assert.NotNull(e.RetryAfterSeconds);
    }

    [Fact]
    public async Task Server_ConcurrentRefinedRendersAndNewSessionClicks_StayWithinTheBudget()
    {
        // A 24 MiB budget; chelsea (451 x 300) needs about 7 MiB per refined render and 2 MiB per new session: 8 renders
        // and 8 new-session refined clicks at once would need over 70 MiB without admission control.
        var options = new WebOptions { CacheBytes = 24 * MiB, CacheImages = 4, SessionsPerImage = 2, BudgetWaitSeconds = 60 };
        await using WebApplication app = WebApp.Create(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"], options);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()), Timeout = TimeSpan.FromSeconds(120) };
        SegmentationService service = app.Services.GetRequiredService<SegmentationService>();
        using HttpResponseMessage opened = await http.PostAsync("/api/samples/chelsea.png", null);
        Assert.True(opened.IsSuccessStatusCode, await opened.Content.ReadAsStringAsync());
        string id = JsonDocument.Parse(await opened.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;

        Task<HttpResponseMessage>[] renders = [.. Enumerable.Range(0, 8).Select(i =>
            http.GetAsync($"/api/images/{id}/views/overlay.png?seeds={100 + i},{100 + i}&refine=true"))];
        Task<HttpResponseMessage>[] clicks = [.. Enumerable.Range(0, 8).Select(i =>
            http.PostAsJsonAsync($"/api/images/{id}/segment", new { session = $"client-{i}", seeds = new[] { new[] { 172, 115 } }, refine = true }))];
        HttpResponseMessage[] responses = await Task.WhenAll([.. renders, .. clicks]);

        foreach (HttpResponseMessage response in responses)
        {
            using (response) Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        Assert.True(service.Budget.PeakInFlight <= options.CacheBytes, $"requests reserved {service.Budget.PeakInFlight / MiB} MiB at once");
        Assert.True(service.Budget.PeakTotal <= options.CacheBytes, $"cache and requests reached {service.Budget.PeakTotal / MiB} MiB");
        Assert.True(service.Budget.PeakInFlight > 7 * MiB, "the renders never reserved anything");
        Assert.Equal(0, service.Budget.InFlight);
        Assert.True(service.Cache.Bytes <= options.CacheBytes);
    }

    [Fact]
    public async Task Server_SeedBodyOver64KiB_Is413WithoutParsingIt()
    {
        var options = new WebOptions { CacheBytes = 64 * MiB };
        await using WebApplication app = WebApp.Create(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"], options);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
        using HttpResponseMessage opened = await http.PostAsync("/api/samples/chelsea.png", null);
        string id = JsonDocument.Parse(await opened.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        var json = new StringBuilder("{\"seeds\": [");
        for (int i = 0; i < 400_000; i++) json.Append(i == 0 ? "" : ",").Append("[1,1]");
        json.Append("]}");

        using var declared = new StringContent(json.ToString(), Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await http.PostAsync($"/api/images/{id}/segment", declared);
        using var chunked = new HttpRequestMessage(HttpMethod.Post, $"/api/images/{id}/segment")
        {
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(json.ToString()))),
        };
        chunked.Headers.TransferEncodingChunked = true;
        using HttpResponseMessage streamed = await http.SendAsync(chunked);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("at most 64 KiB", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, streamed.StatusCode);
    }
}
