using System.Diagnostics;
using DinoSeg.Tests.Shared;
using SixLabors.ImageSharp;

namespace DinoSeg.Tests.Docs;

/// <summary>The README's first C# block compiles as a console Program.cs against the library and segments "photo.jpg".</summary>
public sealed class ReadmeQuickstartTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dinoseg-quickstart-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Quickstart_CompilesAndRuns_WritingTheMask()
    {
        string root = Readme.RepositoryRoot();
        string program = Readme.Quickstart(root);
        Assert.Contains("\"photo.jpg\"", program);
        File.WriteAllText(Path.Combine(_dir, "Program.cs"), program);
        File.WriteAllText(Path.Combine(_dir, "Quickstart.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="{Path.Combine(root, "src", "DinoSeg", "DinoSeg.csproj")}" />
              </ItemGroup>
            </Project>
            """);
        File.Copy(TestPaths.Image("rocket.jpg"), Path.Combine(_dir, "photo.jpg"));

        var (exitCode, output) = Run("dotnet", "run", "--project", Path.Combine(_dir, "Quickstart.csproj"));

        Assert.True(exitCode == 0, output);
        Assert.Contains("of the image selected", output);
        var mask = Image.Identify(Path.Combine(_dir, "mask.png"));
        Assert.Equal((640, 427), (mask.Width, mask.Height));
    }

    private (int ExitCode, string Output) Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = _dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5))) process.Kill(entireProcessTree: true);
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
