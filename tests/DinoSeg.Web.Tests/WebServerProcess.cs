using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DinoSeg.Tests.Shared;

namespace DinoSeg.Web.Tests;

/// <summary>
/// The web sample as a child process on 127.0.0.1 (a free port chosen here), so that its memory can be read apart from
/// the test host's. Disposing kills it. Linux only: the resident set is read from /proc.
/// </summary>
internal sealed class WebServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stdout, _stderr;

    private WebServerProcess(Process process, Uri baseAddress)
    {
        _process = process;
        // Both drained from the start, so that a chatty server never blocks on a full pipe.
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(120) };
    }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    /// <summary>Starts the server with the given <c>--DinoSeg:…</c> settings and waits (up to 60 s) until it answers.</summary>
    public static async Task<WebServerProcess> StartAsync(params string[] settings)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("The server's resident set is read from /proc (Linux only).");
        int port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "DinoSeg.Web.dll"));
        foreach (string arg in (string[])["--urls", $"http://127.0.0.1:{port}", "--Logging:LogLevel:Default=Warning", .. settings]) start.ArgumentList.Add(arg);
        start.Environment.Remove("DINOSEG_DEBUG");
        var server = new WebServerProcess(Process.Start(start)!, new Uri($"http://127.0.0.1:{port}"));
        try
        {
            await server.WaitUntilReadyAsync();
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>The server's resident set now and its high-water mark so far (VmRSS, VmHWM), in bytes.</summary>
    public (long Resident, long Peak) Memory() =>
        ProcessMemory.Read(_process.Id) ?? throw new InvalidOperationException($"The web server is gone (exit {_process.ExitCode}).");

    /// <summary>Stops the server and returns everything it wrote (its log: stdout, then stderr).</summary>
    public string StopAndReadLog()
    {
        Dispose();
        return Task.WaitAll([_stdout, _stderr], TimeSpan.FromSeconds(10)) ? _stdout.Result + _stderr.Result : "(the server's output did not end)";
    }

    public void Dispose()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"The web server exited with {_process.ExitCode}: {_stderr.Result}");
            try
            {
                using HttpResponseMessage info = await Http.GetAsync("/api/info");
                if (info.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("The web server did not answer /api/info within 60 s.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
