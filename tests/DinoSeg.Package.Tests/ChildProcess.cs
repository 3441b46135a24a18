using System.Diagnostics;

namespace DinoSeg.Package.Tests;

/// <summary>Runs a command to completion and returns its exit code and output; a hang is killed and reported.</summary>
internal static class ChildProcess
{
    public sealed record Outcome(int ExitCode, string StdOut, string StdErr)
    {
        public string Output => StdOut + StdErr;
    }

    public static Outcome Run(string workingDirectory, string file, params string[] args)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args) start.ArgumentList.Add(arg);
        // Quiet first-run banners; no MSBuild nodes left behind by builds started from a test.
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment.Remove("DINOSEG_DEBUG");

        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 5 minutes");
        }

        return new Outcome(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs and fails the test with the command and its output when the exit code is not 0.</summary>
    public static Outcome Ok(string workingDirectory, string file, params string[] args)
    {
        Outcome outcome = Run(workingDirectory, file, args);
        Assert.True(outcome.ExitCode == 0, $"'{file} {string.Join(' ', args)}' exited {outcome.ExitCode}:\n{outcome.Output}");
        return outcome;
    }
}
