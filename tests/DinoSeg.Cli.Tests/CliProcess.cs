using System.Diagnostics;
using DinoSeg.Tests.Shared;

namespace DinoSeg.Cli.Tests;

/// <summary>Runs the real <c>dinoseg</c> program (DinoSeg.Cli.dll next to the tests), or any other program, as a child process.</summary>
internal static class CliProcess
{
    /// <summary>How the run ended; <paramref name="PeakResidentBytes"/> is 0 unless the run measured it.</summary>
    public sealed record Outcome(int ExitCode, string StdOut, string StdErr, long PeakResidentBytes = 0);

    public static string Image(string name) => Path.Combine(AppContext.BaseDirectory, "Images", name);

    /// <summary>The built CLI, started as <c>dotnet exec DinoSeg.Cli.dll …</c>.</summary>
    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "DinoSeg.Cli.dll");

    /// <summary>
    /// Writes a <c>dinoseg</c> launcher for the built CLI into <paramref name="folder"/> (created) and returns that folder,
    /// for scripts that call <c>dinoseg</c> from PATH as they would where the dotnet tool is installed.
    /// </summary>
    public static string WriteLauncher(string folder)
    {
        Directory.CreateDirectory(folder);
        string launcher = Path.Combine(folder, "dinoseg");
        File.WriteAllText(launcher, $"#!/bin/sh\nexec dotnet exec '{CliDll}' \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(launcher, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return folder;
    }

    public static Outcome Run(params string[] args) => Program("dotnet", ["exec", CliDll, .. args], TimeSpan.FromMinutes(2));

    /// <summary>
    /// <see cref="Run(string[])"/>, also reporting the child's peak resident set: the kernel's high-water mark (VmHWM in
    /// /proc, Linux only), read every 10 ms until the child exits, so only growth in its last 10 ms can be missed.
    /// </summary>
    public static Outcome RunMeasuringPeakMemory(params string[] args) => OperatingSystem.IsLinux()
        ? Program("dotnet", ["exec", CliDll, .. args], TimeSpan.FromMinutes(2), measurePeak: true)
        : throw new PlatformNotSupportedException("The peak resident set is read from /proc (Linux only).");

    /// <summary>Runs <paramref name="file"/> to completion; <paramref name="environment"/> adds to (or, with a null value,
    /// removes from) the inherited environment. A hang past <paramref name="timeout"/> is killed and reported.</summary>
    public static Outcome Program(string file, IEnumerable<string> args, TimeSpan timeout, IReadOnlyDictionary<string, string?>? environment = null,
        bool measurePeak = false)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args) start.ArgumentList.Add(arg);
        start.Environment.Remove("DINOSEG_DEBUG");
        foreach ((string name, string? value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        long peak = 0;
        var deadline = DateTime.UtcNow + timeout;
        while (measurePeak && !process.HasExited && DateTime.UtcNow < deadline)
        {
            peak = Math.Max(peak, ProcessMemory.Read(process.Id)?.Peak ?? 0);
            Thread.Sleep(10);
        }

        if (!process.WaitForExit(deadline - DateTime.UtcNow is { Ticks: > 0 } left ? left : TimeSpan.Zero))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', start.ArgumentList)} did not finish in {timeout.TotalSeconds:0} s");
        }

        process.WaitForExit(); // the output streams are complete only now
        return new Outcome(process.ExitCode, stdout.Result, stderr.Result, peak);
    }
}
