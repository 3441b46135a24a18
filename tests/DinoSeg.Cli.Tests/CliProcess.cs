using DinoSeg.Tests.Shared;

namespace DinoSeg.Cli.Tests;

/// <summary>Runs the real <c>dinoseg</c> program (DinoSeg.Cli.dll next to the tests), or any other program, as a child process.</summary>
internal static class CliProcess
{

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

    public static ChildProcess.Outcome Run(params string[] args) => Program("dotnet", ["exec", CliDll, .. args], TimeSpan.FromMinutes(2));

    /// <summary><see cref="Run(string[])"/>, also reporting the child's peak resident set (Linux only).</summary>
    public static ChildProcess.Outcome RunMeasuringPeakMemory(params string[] args) =>
        ChildProcess.Run("dotnet", ["exec", CliDll, .. args], new ChildProcess.RunOptions { Timeout = TimeSpan.FromMinutes(2), MeasurePeakMemory = true });

    /// <summary>Runs <paramref name="file"/> to completion; <paramref name="environment"/> adds to (or, with a null value,
    /// removes from) the inherited environment. A hang past <paramref name="timeout"/> is killed and reported.</summary>
    public static ChildProcess.Outcome Program(string file, IEnumerable<string> args, TimeSpan timeout, IReadOnlyDictionary<string, string?>? environment = null) =>
        ChildProcess.Run(file, args, new ChildProcess.RunOptions { Timeout = timeout, Environment = environment });
}
