using Microsoft.ML.OnnxRuntime;

namespace DinoSeg.Cli;

/// <summary>
/// The library's device errors in the words of a command-line user: what to run instead, not which package to reference or
/// which enum value to pass.
/// </summary>
internal static class DeviceMessage
{
    public static string For(DinoSegDeviceException e) => HasCudaProvider()
        ? $"--device cuda: CUDA could not be used: {e.Found}; it needs an NVIDIA driver, CUDA 13.x and cuDNN 9.x on the library path " +
          "(check nvidia-smi and LD_LIBRARY_PATH), or run with --device auto (falls back to the CPU) or --device cpu"
        : "--device cuda: this dinoseg runs on the CPU build of ONNX Runtime, which has no CUDA provider (the dinoseg tool " +
          $"package ships the CPU runtime only); run with --device auto or --device cpu, or, for CUDA, set {OnnxRuntimeLibrary.Variable} " +
          "to the libonnxruntime.so of ONNX Runtime's GPU build (README, 'CPU or GPU')";

    // The tool references the library's CPU flavour; DINOSEG_ONNXRUNTIME (or a build from source with -p:DinoSegFlavor=Gpu)
    // gives it the CUDA provider.
    private static bool HasCudaProvider()
    {
        try
        {
            return OrtEnv.Instance().GetAvailableProviders().Contains("CUDAExecutionProvider");
        }
        catch (Exception x) when (x is OnnxRuntimeException or DllNotFoundException or TypeInitializationException)
        {
            return false;
        }
    }
}
