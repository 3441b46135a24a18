using Microsoft.ML.OnnxRuntime;

namespace DinoSeg.Tests.Onnx;

/// <summary>Device choice without a GPU: the provider list and the CUDA append step are stand-ins.</summary>
public sealed class DeviceSelectorTests
{
    private static readonly string[] CpuOnly = ["CPUExecutionProvider"];
    private static readonly string[] WithCuda = ["CUDAExecutionProvider", "CPUExecutionProvider"];

    [Fact]
    public void Apply_CpuRequested_NeverTouchesCuda()
    {
        var selector = new DeviceSelector(() => throw new InvalidOperationException("not asked"), (_, _) => throw new InvalidOperationException("not asked"));
        using var options = new SessionOptions();

        var (device, reason) = selector.Apply(options, ExecutionDevice.Cpu, 0);

        Assert.Equal(ExecutionDevice.Cpu, device);
        Assert.Equal("CPU requested", reason);
    }

    [Fact]
    public void Apply_AutoWithoutCudaProvider_FallsBackToCpuWithReason()
    {
        var selector = new DeviceSelector(() => CpuOnly, (_, _) => throw new InvalidOperationException("not asked"));
        using var options = new SessionOptions();

        var (device, reason) = selector.Apply(options, ExecutionDevice.Auto, 0);

        Assert.Equal(ExecutionDevice.Cpu, device);
        // The CPU package runs on the CPU by design: its reason must not read as a failure.
        Assert.Equal(DeviceSelector.CpuPackageReason, reason);
        Assert.DoesNotContain("fell back", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_AutoWhenCudaLibrariesMissing_FallsBackWithTheLoaderMessage()
    {
        var selector = new DeviceSelector(() => WithCuda, (_, _) => throw new DllNotFoundException("libcudnn.so.9: cannot open shared object file"));
        using var options = new SessionOptions();

        var (device, reason) = selector.Apply(options, ExecutionDevice.Auto, 0);

        Assert.Equal(ExecutionDevice.Cpu, device);
        Assert.Contains("libcudnn.so.9", reason);
    }

    [Fact]
    public void Apply_CudaRequiredWhenLibrariesMissing_ThrowsNamingCuda13AndCudnn9()
    {
        var selector = new DeviceSelector(() => WithCuda, (_, _) => throw new DllNotFoundException("libcudart.so.13: cannot open shared object file"));
        using var options = new SessionOptions();

        var e = Assert.Throws<DinoSegDeviceException>(() => selector.Apply(options, ExecutionDevice.Cuda, 0));

        Assert.Contains("libcudart.so.13", e.Found);
        Assert.Contains("CUDA 13", e.Fix);
        Assert.Contains("cuDNN 9", e.Fix);
    }

    [Fact]
    public void Apply_CudaAvailable_UsesCudaWithTheDeviceId()
    {
        int seenDevice = -1;
        var selector = new DeviceSelector(() => WithCuda, (_, id) => seenDevice = id);
        using var options = new SessionOptions();

        var (device, reason) = selector.Apply(options, ExecutionDevice.Auto, 1);

        Assert.Equal(ExecutionDevice.Cuda, device);
        Assert.Equal(1, seenDevice);
        Assert.Equal("CUDA device 1", reason);
    }
}
