using System.Reflection;
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
        var r = CliProcess.Run("segment", TestPaths.Image("chelsea.png"), "--seed", "172,115", "--device", device,
            "--out", Path.Combine(_dir, device), "--json");

        Assert.True(r.ExitCode == 0, r.StdErr);
        using var doc = JsonDocument.Parse(r.StdOut);
        Assert.Equal("cpu", doc.RootElement.GetProperty("device").GetString(), ignoreCase: true);
        Assert.Equal(reason, doc.RootElement.GetProperty("deviceReason").GetString());
    }

    [Fact]
    public void Segment_DeviceCuda_SaysWhatToRunInsteadInCliWords()
    {
        var r = CliProcess.Run("segment", TestPaths.Image("chelsea.png"), "--seed", "172,115", "--device", "cuda", "--out", Path.Combine(_dir, "cuda"));

        Assert.Equal(5, r.ExitCode);
        string error = r.StdErr.TrimEnd('\n');
        Assert.Equal(
            "dinoseg: error: --device cuda: this dinoseg runs on the CPU build of ONNX Runtime, which has no CUDA provider (the dinoseg " +
            "tool package ships the CPU runtime only); run with --device auto or --device cpu, or, for CUDA, set DINOSEG_ONNXRUNTIME " +
            "to the libonnxruntime.so of ONNX Runtime's GPU build (README, 'CPU or GPU')", error);
        Assert.DoesNotContain("ExecutionDevice", error, StringComparison.Ordinal);
    }

    /// <summary>ONNX Runtime's GPU build for Linux x64, which the test project downloads (PackageDownload) into NuGet's cache.</summary>
    private static string GpuOnnxRuntime => Path.Combine(
        typeof(DeviceWordingTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "NuGetPackageRoot").Value!,
        "microsoft.ml.onnxruntime.gpu.linux", "1.31.0", "runtimes", "linux-x64", "native", "libonnxruntime.so");

    [Fact]
    public void Segment_WithTheGpuOnnxRuntimeNamed_RunsOnItsCudaProviderOrSaysWhyNot()
    {
        // Arrange: the GPU build has the CUDA provider; on a machine without CUDA its libraries (cuBLAS, cuDNN) are missing.
        Assert.True(File.Exists(GpuOnnxRuntime), $"{GpuOnnxRuntime} is missing: the test project's PackageDownload should have fetched it");

        // Act
        var r = CliProcess.Program("dotnet", ["exec", CliProcess.CliDll, "segment", TestPaths.Image("chelsea.png"), "--seed", "172,115",
            "--device", "auto", "--out", Path.Combine(_dir, "gpu"), "--json"], TimeSpan.FromMinutes(2),
            new Dictionary<string, string?> { ["DINOSEG_ONNXRUNTIME"] = GpuOnnxRuntime });

        // Assert: the named library was used (the CPU build would say "CPU package"): CUDA, or the CPU with CUDA's own reason.
        Assert.True(r.ExitCode == 0, r.StdErr);
        using var doc = JsonDocument.Parse(r.StdOut);
        JsonElement root = doc.RootElement;
        Assert.Equal($"{GpuOnnxRuntime} (from DINOSEG_ONNXRUNTIME)", root.GetProperty("onnxRuntime").GetString());
        string device = root.GetProperty("device").GetString()!, reason = root.GetProperty("deviceReason").GetString()!;
        if (device != "cuda") Assert.StartsWith("fell back to CPU: the CUDA provider could not load", reason);
        Assert.True(File.Exists(Path.Combine(_dir, "gpu", "mask.png")));
    }

    [Theory]
    [InlineData("/no/such/libonnxruntime.so", "no such file")]
    [InlineData("self", "not a native library this system can load")]
    public void Segment_WithAnUnusableOnnxRuntimeNamed_StopsWithExitCode5AndWhatToDo(string library, string found)
    {
        string path = library == "self" ? CliProcess.CliDll : library; // a managed assembly is no native library

        var r = CliProcess.Program("dotnet", ["exec", CliProcess.CliDll, "segment", TestPaths.Image("chelsea.png"), "--seed", "172,115",
            "--out", Path.Combine(_dir, "bad")], TimeSpan.FromMinutes(2), new Dictionary<string, string?> { ["DINOSEG_ONNXRUNTIME"] = path });

        Assert.Equal(5, r.ExitCode);
        Assert.StartsWith($"dinoseg: error: DINOSEG_ONNXRUNTIME={path}: {found}; point it at libonnxruntime.so", r.StdErr);
        Assert.Contains("or unset it to use the bundled CPU build", r.StdErr);
        Assert.DoesNotContain("   at ", r.StdErr);
    }
}
