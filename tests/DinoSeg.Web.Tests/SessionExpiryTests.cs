using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace DinoSeg.Web.Tests;

/// <summary>Click sessions unused for <see cref="WebOptions.SessionIdleSeconds"/> are dropped with their buffers.</summary>
public sealed class SessionExpiryTests
{
    [Fact]
    public async Task Session_IdlePastTheLimit_IsDroppedWithItsBytes_AndAClickMakesItAgain()
    {
        // Arrange: sessions expire after 1 s of disuse (the sweep then runs every 0.25 s).
        await using WebApplication app = WebApp.Create(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"],
            new WebOptions { SessionIdleSeconds = 1 });
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()), Timeout = TimeSpan.FromSeconds(60) };
        SegmentationService service = app.Services.GetRequiredService<SegmentationService>();
        using HttpResponseMessage opened = await http.PostAsync("/api/samples/chelsea.png", null);
        string id = JsonDocument.Parse(await opened.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        long withoutSessions = service.Cache.Bytes;
        using HttpResponseMessage click = await http.PostAsJsonAsync($"/api/images/{id}/segment", new { session = "tab", seeds = new[] { new[] { 172, 115 } } });
        Assert.Equal(HttpStatusCode.OK, click.StatusCode);
        long withSession = service.Cache.Bytes;

        // Act: stay idle until the sweep has dropped the session (bounded).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (service.Cache.Bytes > withoutSessions && DateTime.UtcNow < deadline) await Task.Delay(100);
        long afterIdle = service.Cache.Bytes;
        using HttpResponseMessage slide = await http.PostAsJsonAsync($"/api/images/{id}/threshold", new { session = "tab", threshold = 0.3f });
        using HttpResponseMessage again = await http.PostAsJsonAsync($"/api/images/{id}/segment", new { session = "tab", seeds = new[] { new[] { 172, 115 } } });

        // Assert
        Assert.True(withSession > withoutSessions, "the click made no session");
        Assert.Equal(HttpStatusCode.Conflict, slide.StatusCode); // "no click on this image yet: POST /segment first"
        Assert.Equal(withoutSessions, afterIdle); // the session's maps no longer count (nor are they referenced)
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task Session_InUse_IsKept()
    {
        // Arrange
        await using WebApplication app = WebApp.Create(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"],
            new WebOptions { SessionIdleSeconds = 2 });
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()), Timeout = TimeSpan.FromSeconds(60) };
        using HttpResponseMessage opened = await http.PostAsync("/api/samples/chelsea.png", null);
        string id = JsonDocument.Parse(await opened.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        using HttpResponseMessage click = await http.PostAsJsonAsync($"/api/images/{id}/segment", new { session = "tab", seeds = new[] { new[] { 172, 115 } } });

        // Act: slider moves every 0.5 s for 4 s, twice the idle limit.
        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 8; i++)
        {
            await Task.Delay(500);
            using HttpResponseMessage slide = await http.PostAsJsonAsync($"/api/images/{id}/threshold", new { session = "tab", threshold = 0.1f * (i % 5) });
            statuses.Add(slide.StatusCode);
        }

        // Assert
        Assert.Equal(HttpStatusCode.OK, click.StatusCode);
        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
    }
}
