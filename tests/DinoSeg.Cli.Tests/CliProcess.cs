using System.Diagnostics;

namespace DinoSeg.Cli.Tests;

/// <summary>Runs the real <c>dinoseg</c> program (DinoSeg.Cli.dll next to the tests) as a child process.</summary>
internal static class CliProcess
{
    public sealed record Outcome(int ExitCode, string StdOut, string StdErr);

    public static string Image(string name) => Path.Combine(AppContext.BaseDirectory, "Images", name);

    public static Outcome Run(params string[] args)
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
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dinoseg {string.Join(' ', args)} did not finish in 2 minutes");
        }

        return new Outcome(process.ExitCode, stdout.Result, stderr.Result);
    }
}
