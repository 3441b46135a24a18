using System.Text.Json;

namespace DinoSeg.Cli.Tests;

/// <summary>
/// The dinoseg tool ships ONNX Runtime's CPU build: its device messages and the JSON's deviceReason must say so in a
/// command-line user's words, never as a failure ("fell back") or as library advice (package references, enum values).
/// </summary>
public sealed class DeviceWordingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dinoseg-device-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("auto", "CPU package: no CUDA provider in this ONNX Runtime build (DinoSeg.Gpu has one)")]
    [InlineData("cpu", "CPU requested")]
    public void Segment_Json_DeviceReasonSaysWhatTheCpuPackageDid(string device, string reason)
    {
        var r = CliProcess.Run("segment", CliProcess.Image("chelsea.png"), "--seed", "172,115", "--device", device,
            "--out", Path.Combine(_dir, device), "--json");

        Assert.True(r.ExitCode == 0, r.StdErr);
        using var doc = JsonDocument.Parse(r.StdOut);
        Assert.Equal("cpu", doc.RootElement.GetProperty("device").GetString(), ignoreCase: true);
        Assert.Equal(reason, doc.RootElement.GetProperty("deviceReason").GetString());
    }

    [Fact]
    public void Segment_DeviceCuda_SaysWhatToRunInsteadInCliWords()
    {
        var r = CliProcess.Run("segment", CliProcess.Image("chelsea.png"), "--seed", "172,115", "--device", "cuda", "--out", Path.Combine(_dir, "cuda"));

        Assert.Equal(5, r.ExitCode);
        string error = r.StdErr.TrimEnd('\n');
        Assert.Equal(
            "dinoseg: error: --device cuda: this dinoseg runs on the CPU build of ONNX Runtime, which has no CUDA provider (the dinoseg " +
            "tool package ships the CPU runtime only); run with --device auto or --device cpu, or, for CUDA, use the DinoSeg.Gpu " +
            "library package from your own application (README, 'CPU or GPU')", error);
        Assert.DoesNotContain("ExecutionDevice", error, StringComparison.Ordinal);
    }
}
