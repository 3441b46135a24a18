using System.Diagnostics;

namespace DinoSeg.Tests.Shared;

/// <summary>
/// Runs a program to completion for a test, the one way every test project does it: both output streams read while it
/// runs (a full pipe would stall it), a hang killed with its children and reported with the output so far, and the
/// environment made quiet and repeatable (no SDK banners, no MSBuild nodes left behind, no DinoSeg debug switch).
/// </summary>
internal static class ChildProcess
{
    /// <summary>How the run ended; <paramref name="PeakResidentBytes"/> is 0 unless <see cref="RunOptions.MeasurePeakMemory"/> was set.</summary>
    public sealed record Outcome(int ExitCode, string StdOut, string StdErr, long PeakResidentBytes = 0)
    {
        /// <summary>Standard output, then standard error.</summary>
        public string Output => StdOut + StdErr;
    }

    /// <summary>Where and how long a child runs.</summary>
    public sealed record RunOptions
    {
        public string? WorkingDirectory { get; init; }

        /// <summary>Added to (or, with a null value, removed from) the inherited environment, after the quiet defaults.</summary>
        public IReadOnlyDictionary<string, string?>? Environment { get; init; }

        public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

        /// <summary>
        /// Reads the child's resident-set high-water mark (VmHWM in /proc, Linux only) every 10 ms until it exits, so only
        /// growth in its last 10 ms can be missed.
        /// </summary>
        public bool MeasurePeakMemory { get; init; }
    }

    /// <summary>Runs <paramref name="file"/> in <paramref name="workingDirectory"/> with the default timeout.</summary>
    public static Outcome Run(string workingDirectory, string file, params string[] args) =>
        Run(file, args, new RunOptions { WorkingDirectory = workingDirectory });

    /// <summary><see cref="Run(string, string, string[])"/>, failing the test with the command and its output unless it exits 0.</summary>
    public static Outcome Ok(string workingDirectory, string file, params string[] args)
    {
        Outcome outcome = Run(workingDirectory, file, args);
        Assert.True(outcome.ExitCode == 0, $"'{file} {string.Join(' ', args)}' exited {outcome.ExitCode}:\n{outcome.Output}");
        return outcome;
    }

    public static Outcome Run(string file, IEnumerable<string> args, RunOptions options) => RunAsync(file, args, options).GetAwaiter().GetResult();

    /// <summary>Runs <paramref name="file"/>; a run past <see cref="RunOptions.Timeout"/> is killed and throws <see cref="TimeoutException"/>.</summary>
    public static async Task<Outcome> RunAsync(string file, IEnumerable<string> args, RunOptions options)
    {
        if (options.MeasurePeakMemory && !OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The peak resident set is read from /proc (Linux only).");
        }

        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (options.WorkingDirectory is not null) start.WorkingDirectory = options.WorkingDirectory;
        foreach (string arg in args) start.ArgumentList.Add(arg);
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment.Remove("DINOSEG_DEBUG");
        foreach ((string name, string? value) in options.Environment ?? new Dictionary<string, string?>())
        {
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        long peak = 0;
        using var deadline = new CancellationTokenSource(options.Timeout);
        try
        {
            while (options.MeasurePeakMemory && !process.HasExited)
            {
                peak = Math.Max(peak, ProcessMemory.Read(process.Id)?.Peak ?? 0);
                await Task.Delay(10, deadline.Token);
            }

            await process.WaitForExitAsync(deadline.Token); // also waits for the output streams to end
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"'{file} {string.Join(' ', start.ArgumentList)}' did not finish in {options.Timeout.TotalSeconds:0} s. Its output:\n" +
                Tail(await stdout + await stderr));
        }

        return new Outcome(process.ExitCode, await stdout, await stderr, peak);
    }

    /// <summary>The last 4000 characters of <paramref name="text"/>: enough to see why a long log failed.</summary>
    public static string Tail(string text) => text.Length <= 4000 ? text : "…" + text[^4000..];
}
