using Microsoft.ML.OnnxRuntime;

namespace DinoSeg;

/// <summary>Adds the CUDA execution provider to session options when asked and possible, and says what it decided and why.</summary>
internal sealed class DeviceSelector
{
    internal const string CudaProvider = "CUDAExecutionProvider";
    internal const string CudaNeeds = "ONNX Runtime 1.31 with CUDA needs an NVIDIA driver, CUDA 13.x (libcudart.so.13, libcublas.so.13) and cuDNN 9.x on the library path";

    /// <summary>What the CPU package's ONNX Runtime lacks, as <see cref="DinoSegException.Found"/> says it.</summary>
    internal const string NoCudaProvider = "this ONNX Runtime build has no CUDA execution provider (the CPU package, DinoSeg, is installed)";

    /// <summary>The device reason of the CPU package under <see cref="ExecutionDevice.Auto"/>: the CPU by design, not a fallback.</summary>
    internal const string CpuPackageReason = "CPU package: no CUDA provider in this ONNX Runtime build (DinoSeg.Gpu has one)";

    private readonly Func<IReadOnlyCollection<string>> _availableProviders;
    private readonly Action<SessionOptions, int> _appendCuda;

    internal DeviceSelector(Func<IReadOnlyCollection<string>> availableProviders, Action<SessionOptions, int> appendCuda)
    {
        _availableProviders = availableProviders;
        _appendCuda = appendCuda;
    }

    /// <summary>The real ONNX Runtime: its compiled-in providers, and CUDA with cuDNN's heuristic algorithm search.</summary>
    internal static DeviceSelector Default { get; } = new(() => OrtEnv.Instance().GetAvailableProviders(), AppendCuda);

    /// <summary>Whether this ONNX Runtime build has the CUDA provider compiled in (the DinoSeg.Gpu package).</summary>
    internal bool HasCudaProvider() => _availableProviders().Contains(CudaProvider);

    /// <summary>Configures <paramref name="options"/> for the requested device and returns the device it will use, with the reason.</summary>
    /// <exception cref="DinoSegDeviceException">CUDA was required and cannot be used.</exception>
    internal (ExecutionDevice Device, string Reason) Apply(SessionOptions options, ExecutionDevice requested, int deviceId)
    {
        if (requested == ExecutionDevice.Cpu) return (ExecutionDevice.Cpu, "CPU requested");

        if (!HasCudaProvider())
        {
            // The CPU package: running on the CPU is what it does, not a fallback from something that failed.
            if (requested == ExecutionDevice.Cuda)
            {
                throw new DinoSegDeviceException("the CUDA execution provider", NoCudaProvider,
                    "install the DinoSeg.Gpu package instead of DinoSeg (exactly one of them), or use ExecutionDevice.Auto or Cpu");
            }

            return (ExecutionDevice.Cpu, CpuPackageReason);
        }

        try
        {
            _appendCuda(options, deviceId);
            return (ExecutionDevice.Cuda, $"CUDA device {deviceId}");
        }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
        {
            // The CUDA package on a machine where CUDA does not work: a real fallback, and the reason says what failed.
            string problem = $"the CUDA provider could not load: {e.Message.Trim()}";
            if (requested == ExecutionDevice.Cuda)
            {
                throw new DinoSegDeviceException("a usable CUDA device", problem,
                    $"{CudaNeeds}; check nvidia-smi and LD_LIBRARY_PATH, or use ExecutionDevice.Auto or Cpu", e);
            }

            return (ExecutionDevice.Cpu, $"fell back to CPU: {problem}");
        }
    }

    private static void AppendCuda(SessionOptions options, int deviceId)
    {
        using var cuda = new OrtCUDAProviderOptions();
        cuda.UpdateOptions(new Dictionary<string, string>
        {
            ["device_id"] = deviceId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // EXHAUSTIVE benchmarks every conv algorithm again for each new input shape, i.e. for every new image size.
            ["cudnn_conv_algo_search"] = "HEURISTIC",
        });
        options.AppendExecutionProvider_CUDA(cuda);
    }
}
