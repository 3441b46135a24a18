using System.Diagnostics;

namespace DinoSeg.Cli.Tests;

/// <summary>Runs the real <c>dinoseg</c> program (DinoSeg.Cli.dll next to the tests) as a child process.</summary>
internal static class CliProcess
{
    /// <summary>How the run ended; <paramref name="PeakResidentBytes"/> is 0 unless the run measured it.</summary>
    public sealed record Outcome(int ExitCode, string StdOut, string StdErr, long PeakResidentBytes = 0);

    public static string Image(string name) => Path.Combine(AppContext.BaseDirectory, "Images", name);

    public static Outcome Run(params string[] args) => Run(args, measurePeak: false);

    /// <summary>
    /// <see cref="Run(string[])"/>, also reporting the child's peak resident set: the kernel's high-water mark (VmHWM in
    /// /proc, Linux only), read every 10 ms until the child exits, so only growth in its last 10 ms can be missed.
    /// </summary>
    public static Outcome RunMeasuringPeakMemory(params string[] args) =>
        OperatingSystem.IsLinux() ? Run(args, measurePeak: true) : throw new PlatformNotSupportedException("The peak resident set is read from /proc (Linux only).");

    private static Outcome Run(string[] args, bool measurePeak)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "DinoSeg.Cli.dll"));
        foreach (string arg in args) start.ArgumentList.Add(arg);
        start.Environment.Remove("DINOSEG_DEBUG");

        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        long peak = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (measurePeak && !process.HasExited && DateTime.UtcNow < deadline)
        {
            peak = Math.Max(peak, HighWaterMark(process.Id));
            Thread.Sleep(10);
        }

        if (!process.WaitForExit(deadline - DateTime.UtcNow is { Ticks: > 0 } left ? left : TimeSpan.Zero))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dinoseg {string.Join(' ', args)} did not finish in 2 minutes");
        }

        process.WaitForExit(); // the output streams are complete only now
        return new Outcome(process.ExitCode, stdout.Result, stderr.Result, peak);
    }

    /// <summary>VmHWM of a running process in bytes; 0 once it has gone.</summary>
    private static long HighWaterMark(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                // "VmHWM:    566208 kB"
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) return long.Parse(line.AsSpan(6).Trim()[..^2].Trim()) * 1024;
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }
}
