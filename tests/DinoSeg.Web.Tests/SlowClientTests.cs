using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using DinoSeg.Tests.Shared;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace DinoSeg.Web.Tests;

/// <summary>
/// Clients that stop half-way, on raw sockets: a reader that never drains a 16 MB similarity map must not hold its
/// session, and it, a stalled upload and unfinished headers are cut off by the server's data-rate and header timeouts,
/// their budget reservations released. Each case is bounded (the server gives up within seconds).
/// </summary>
public sealed class SlowClientTests : IAsyncLifetime
{
    private const int RequestTimeoutSeconds = 20; // room for a 16-megapixel upload on a loaded 2-core machine

    private WebApplication _app = null!;
    private HttpClient _http = null!;
    private SegmentationService _service = null!;
    private IPEndPoint _endPoint = null!;

    public async Task InitializeAsync()
    {
        // Kestrel's minimum data rates stay (240 B/s after a 5 s grace); the two deadlines are shortened from their
        // defaults (120 s per request, 10 s for headers) so that the tests are quick.
        _app = WebApp.Create(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"],
            new WebOptions { RequestTimeoutSeconds = RequestTimeoutSeconds, HeadersTimeoutSeconds = 2 });
        await _app.StartAsync();
        var address = new Uri(_app.Urls.Single());
        _endPoint = new IPEndPoint(IPAddress.Loopback, address.Port);
        _http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        _service = _app.Services.GetRequiredService<SegmentationService>();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task SimilarityMap_ReaderThatStopsReading_HoldsNeitherItsSessionNorItsMemory()
    {
        // Arrange: a 4096² image (a 940-byte GIF), so the map is 16 MiB, far more than the socket buffers hold.
        using var upload = new ByteArrayContent(HostileFiles.GifManyFrames(4096, 1));
        using HttpResponseMessage opened = await _http.PostAsync("/api/images", upload);
        Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
        string id = JsonDocument.Parse(await opened.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        using Socket slow = await ConnectAsync(receiveBuffer: 4096);
        string click = """{"session":"slow","seeds":[[10,10]]}""";
        await SendAsync(slow, $"POST /api/images/{id}/similarity-map HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
            $"Content-Length: {click.Length}\r\n\r\n{click}");
        string head = await ReceiveSomeAsync(slow);
        Assert.StartsWith("HTTP/1.1 200", head);

        // Act: the same session clicks and slides while the reader has read only the reply's first bytes.
        var clock = Stopwatch.StartNew();
        using HttpResponseMessage again = await _http.PostAsJsonAsync($"/api/images/{id}/segment", new { session = "slow", seeds = new[] { new[] { 2000, 2000 } } });
        using HttpResponseMessage slide = await _http.PostAsJsonAsync($"/api/images/{id}/threshold", new { session = "slow", threshold = 0.4f });
        double sessionFreeSeconds = clock.Elapsed.TotalSeconds;

        // Assert: the session was free; then the stalled reply is aborted at the request deadline and its copy released.
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(HttpStatusCode.OK, slide.StatusCode);
        Assert.True(sessionFreeSeconds < 20, $"the session's next click waited {sessionFreeSeconds:F1} s behind the slow reader");
        Assert.True(await InFlightDrainsAsync(TimeSpan.FromSeconds(RequestTimeoutSeconds + 10)), $"{_service.Budget.InFlight} bytes still reserved for the stalled reply");
        Assert.True(await ServerClosesAsync(slow, TimeSpan.FromSeconds(10)), "the stalled reply's connection is still open");
    }

    [Fact]
    public async Task Upload_ThatStallsMidBody_IsCutOffAndItsReservationReleased()
    {
        // Arrange: 1 MB announced, 100 bytes sent, then nothing.
        using Socket stalled = await ConnectAsync();
        await SendAsync(stalled, "POST /api/images HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n" +
            "Content-Length: 1000000\r\n\r\n" + new string('x', 100));
        await WaitUntilAsync(() => _service.Budget.InFlight > 0, TimeSpan.FromSeconds(10)); // the body's 2 MB reservation

        // Act
        var clock = Stopwatch.StartNew();
        bool closed = await ServerClosesAsync(stalled, TimeSpan.FromSeconds(40));

        // Assert
        Assert.True(closed, "the server kept a stalled upload open for 40 s");
        Assert.True(await InFlightDrainsAsync(TimeSpan.FromSeconds(10)), $"{_service.Budget.InFlight} bytes still reserved for the stalled upload");
        Assert.InRange(clock.Elapsed.TotalSeconds, 0, 40);
    }

    [Fact]
    public async Task Request_WhoseHeadersNeverEnd_IsCutOffAfterTheHeaderTimeout()
    {
        // Arrange
        using Socket stalled = await ConnectAsync();
        await SendAsync(stalled, "POST /api/images HTTP/1.1\r\nHost: 127.0.0.1\r\n");

        // Act
        var clock = Stopwatch.StartNew();
        bool closed = await ServerClosesAsync(stalled, TimeSpan.FromSeconds(30));

        // Assert: closed after the configured 2 s (10 s by default), not kept forever.
        Assert.True(closed, "the server kept a request with unfinished headers open for 30 s");
        Assert.InRange(clock.Elapsed.TotalSeconds, 1, 30);
    }

    private async Task<Socket> ConnectAsync(int? receiveBuffer = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (receiveBuffer is { } size) socket.ReceiveBufferSize = size; // before connecting, so the window stays small
        await socket.ConnectAsync(_endPoint);
        return socket;
    }

    private static async Task SendAsync(Socket socket, string text) => await socket.SendAsync(Encoding.ASCII.GetBytes(text));

    private static async Task<string> ReceiveSomeAsync(Socket socket)
    {
        var buffer = new byte[256];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        int read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }

    /// <summary>Reads (and drops) whatever comes until the server closes the connection: true if it does within the time.</summary>
    private static async Task<bool> ServerClosesAsync(Socket socket, TimeSpan within)
    {
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(within);
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0)
            {
            }

            return true;
        }
        catch (SocketException)
        {
            return true; // reset by the server
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private Task<bool> InFlightDrainsAsync(TimeSpan within) => WaitUntilAsync(() => _service.Budget.InFlight == 0, within);

    private static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(50);
        }

        return true;
    }
}
