using System.Runtime.Intrinsics;
using DinoSeg.Tests.Shared;
using Xunit.Abstractions;

namespace DinoSeg.Tests.Kernels;

/// <summary>
/// Re-runs every kernel test in child processes with the wider SIMD paths switched off, so the Vector256, Vector128 and
/// scalar fallbacks (in DinoSeg and in System.Numerics.Tensors) meet the same expectations as the widest path.
/// </summary>
/// <remarks>
/// Each child is <c>dotnet test &lt;this assembly&gt; --filter</c> over the kernel and preprocessing tests (<see cref="Filter"/>)
/// with DOTNET_Enable* variables set; the category filter and <see cref="ChildMarker"/> keep it from recursing.
/// Note: since .NET 10 the AVX-512 switch is <c>DOTNET_EnableAVX512</c>; the older <c>DOTNET_EnableAVX512F=0</c> is
/// silently ignored (Vector512 stays accelerated). Both are set below; <see cref="SimdEnvironmentTests"/> proves the
/// switch took effect in the child.
/// By hand: <c>DOTNET_EnableAVX512=0 dotnet test tests/DinoSeg.Tests --filter "FullyQualifiedName~Kernels&amp;Category!=SimdOff"</c>
/// (likewise <c>DOTNET_EnableAVX2=0</c> and <c>DOTNET_EnableHWIntrinsic=0</c>).
/// </remarks>
[Trait("Category", "SimdOff")]
public sealed class SimdOffTests(ITestOutputHelper output)
{
    /// <summary>Set in each child so that a child never launches children.</summary>
    internal const string ChildMarker = "DINOSEG_KERNEL_TESTS_SIMD_CHILD";

    // The kernels, and the SIMD byte-to-float conversion of the preprocessing.
    private const string Filter = "(FullyQualifiedName~DinoSeg.Tests.Kernels|FullyQualifiedName~DinoSeg.Tests.Imaging.PreprocessingTests)&Category!=SimdOff";

    // Generous: the child builds nothing, but a loaded 2-core CI machine has taken over 2 minutes.
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    public static TheoryData<string> Configurations => new()
    {
        "DOTNET_EnableAVX512=0;DOTNET_EnableAVX512F=0", // Vector512 off: Threshold takes its Vector256 path
        "DOTNET_EnableAVX2=0",                          // Vector256 off: Threshold is scalar, TensorPrimitives uses Vector128
        "DOTNET_EnableHWIntrinsic=0",                   // everything scalar
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void KernelTests_WithIntrinsicsSwitchedOff_Pass(string environment)
    {
        if (Environment.GetEnvironmentVariable(ChildMarker) is not null) return; // already a child run

        // Arrange
        string assembly = typeof(SimdOffTests).Assembly.Location;
        var variables = new Dictionary<string, string?> { [ChildMarker] = "1" };
        foreach (string pair in environment.Split(';'))
        {
            string[] kv = pair.Split('=');
            variables[kv[0]] = kv[1];
        }

        // Act
        ChildProcess.Outcome child = ChildProcess.Run(DotnetHost(), ["test", assembly, "--filter", Filter, "--nologo"],
            new ChildProcess.RunOptions { WorkingDirectory = Path.GetDirectoryName(assembly), Environment = variables, Timeout = Timeout });
        output.WriteLine($"{environment}: exit {child.ExitCode}");
        output.WriteLine(child.Output);

        // Assert
        Assert.True(child.ExitCode == 0, $"{environment}: the child test run failed (exit {child.ExitCode}).\n{ChildProcess.Tail(child.Output)}");
        Assert.Contains("Passed!", child.StdOut, StringComparison.Ordinal);
    }

    // The dotnet host that runs this test (the SDK sets DOTNET_HOST_PATH for child processes).
    private static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host)) return host;
        string? self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase)) return self;
        return "dotnet";
    }

}

/// <summary>
/// Runs in every kernel test process, parent and SIMD-off children: proves the DOTNET_Enable* switches really
/// turned off the paths they name, so a passing child run is not just the vector path again.
/// </summary>
public sealed class SimdEnvironmentTests(ITestOutputHelper output)
{
    [Fact]
    public void HardwareAcceleration_DotnetEnableSwitches_AreHonoured()
    {
        // Arrange
        static bool Off(string name) => Environment.GetEnvironmentVariable(name) == "0";
        string paths = $"Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, Vector128 {Vector128.IsHardwareAccelerated}";
        output.WriteLine(paths);

        // Assert
        if (Off("DOTNET_EnableAVX512") || Off("DOTNET_EnableAVX2") || Off("DOTNET_EnableHWIntrinsic")) Assert.False(Vector512.IsHardwareAccelerated, paths);
        if (Off("DOTNET_EnableAVX2") || Off("DOTNET_EnableHWIntrinsic")) Assert.False(Vector256.IsHardwareAccelerated, paths);
        if (Off("DOTNET_EnableHWIntrinsic")) Assert.False(Vector128.IsHardwareAccelerated, paths);
        if (Environment.GetEnvironmentVariable(SimdOffTests.ChildMarker) is not null)
        {
            // A child run exists to take a narrower path than the parent: at least Vector512 must be off.
            Assert.False(Vector512.IsHardwareAccelerated, paths);
        }
    }
}
