using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace DinoSeg.Cli;

/// <summary>
/// Which ONNX Runtime native library the tool runs on. The tool package carries the CPU build (the CUDA provider alone is
/// 284 MB, over nuget.org's package limit); <c>DINOSEG_ONNXRUNTIME</c> names another <c>libonnxruntime</c> of the same
/// version, such as the GPU build in the <c>Microsoft.ML.OnnxRuntime.Gpu.Linux</c> package, and the tool loads that one
/// instead: with the CUDA provider libraries beside it, <c>--device cuda</c> and <c>auto</c> use the GPU.
/// </summary>
internal static class OnnxRuntimeLibrary
{
    public const string Variable = "DINOSEG_ONNXRUNTIME";

    /// <summary>The managed API's version: the native library must be the same one (ONNX Runtime checks nothing itself).</summary>
    public const string ExpectedVersion = "1.31.0";

    /// <summary>The library named by <see cref="Variable"/> once <see cref="Apply"/> accepted it; null for the bundled CPU build.</summary>
    public static string? OverridePath { get; private set; }

    /// <summary>What <c>--json</c> reports: the library the tool runs on.</summary>
    public static string Description => OverridePath is { } path ? $"{path} (from {Variable})" : "bundled CPU build";

    /// <summary>
    /// Reads <see cref="Variable"/>; when set, checks the file is an ONNX Runtime of <see cref="ExpectedVersion"/> and makes
    /// every ONNX Runtime call of this process use it. Call before anything touches ONNX Runtime.
    /// </summary>
    /// <exception cref="OnnxRuntimeLibraryException">The variable names no usable library.</exception>
    public static void Apply()
    {
        string? value = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(value)) return;
        string path = Path.GetFullPath(value);
        if (!File.Exists(path)) throw Refuse(value, "no such file");
        if (!NativeLibrary.TryLoad(path, out IntPtr handle)) throw Refuse(value, "not a native library this system can load");
        if (!NativeLibrary.TryGetExport(handle, "OrtGetApiBase", out IntPtr apiBase)) throw Refuse(value, "not ONNX Runtime (it has no OrtGetApiBase)");
        string version = VersionOf(apiBase);
        if (version != ExpectedVersion) throw Refuse(value, $"ONNX Runtime {version}, but this dinoseg is built against {ExpectedVersion}");

        Assembly onnxRuntime = typeof(OrtEnv).Assembly;
        NativeLibrary.SetDllImportResolver(onnxRuntime, (name, _, _) => name == "onnxruntime" ? handle : IntPtr.Zero);
        OverridePath = path;
    }

    /// <summary>OrtGetApiBase()->GetVersionString(): the second function pointer of the struct it returns.</summary>
    private static unsafe string VersionOf(IntPtr getApiBase)
    {
        IntPtr apiBase = ((delegate* unmanaged<IntPtr>)getApiBase)();
        IntPtr getVersion = Marshal.ReadIntPtr(apiBase, IntPtr.Size);
        return Marshal.PtrToStringUTF8(((delegate* unmanaged<IntPtr>)getVersion)()) ?? "";
    }

    private static OnnxRuntimeLibraryException Refuse(string value, string found) =>
        new($"{Variable}={value}: {found}; point it at libonnxruntime.so (onnxruntime.dll on Windows) of ONNX Runtime {ExpectedVersion}, " +
            "for CUDA the one in the Microsoft.ML.OnnxRuntime.Gpu.Linux package's runtimes/linux-x64/native folder, or unset it to use the bundled CPU build");
}

/// <summary><see cref="OnnxRuntimeLibrary.Variable"/> names no usable ONNX Runtime; the message says what was found and what to do.</summary>
internal sealed class OnnxRuntimeLibraryException(string message) : Exception(message);
