using DinoSeg.Tests.Shared;

namespace DinoSeg.Web.Tests;

/// <summary>The README's curl lines, run as written by bash from the repository root against the test server.</summary>
[Collection(WebCollection.Name)]
public sealed class ReadmeCurlTests(WebFixture web) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dinoseg-readme-curl-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task ReadmeCurlLines_AgainstTheServer_UploadClickRenderExportAndListTheRoutes()
    {
        // Arrange: the block as written, aimed at the test server instead of the default address.
        string root = TestPaths.RepositoryRoot();
        string block = Readme.Block(root, "bash", "curl -sf -F file=@");
        Assert.Contains("http://127.0.0.1:5180", block);
        string script = "set -euo pipefail\ncd " + Quote(root) + "\n" +
            block.Replace("http://127.0.0.1:5180", web.BaseAddress.ToString().TrimEnd('/'), StringComparison.Ordinal)
                 .Replace("-o mask.png", "-o " + Quote(Path.Combine(_dir, "mask.png")), StringComparison.Ordinal);
        string file = Path.Combine(_dir, "readme.sh");
        await File.WriteAllTextAsync(file, script);

        // Act
        ChildProcess.Outcome bash = await ChildProcess.RunAsync("bash", [file], new ChildProcess.RunOptions { Timeout = TimeSpan.FromSeconds(120) });

        // Assert: every line succeeded (curl -f fails on an HTTP error), the click answered, the mask is a PNG, the routes listed.
        Assert.True(bash.ExitCode == 0, $"exit {bash.ExitCode}: {bash.Output}");
        string output = bash.StdOut;
        Assert.Contains("\"threshold\":", output);
        Assert.Contains("/api/images/{id}/segment", output);
        Assert.Matches(@"(?m)^0( [01](\.\d+)?){6,}$", output); // a YOLO-seg line: class 0, then x y pairs in [0, 1]
        byte[] png = await File.ReadAllBytesAsync(Path.Combine(_dir, "mask.png"));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
    }

    private static string Quote(string path) => "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
