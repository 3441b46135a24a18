using System.Text;
using System.Text.RegularExpressions;
using SixLabors.ImageSharp;

namespace DinoSeg.Tests.Docs;

/// <summary>
/// Every C# block of the README compiles against the library and runs: all of them in one console app built once, each
/// block a method of its own, run in a folder holding the names the README uses ("photo.jpg", "dinov3_vitl16.onnx", the
/// latter the tiny DINOv3-shaped fixture).
/// </summary>
/// <remarks>
/// A block that begins with <c>using</c> directives is a complete Program.cs and gets nothing added. A fragment gets
/// what the text around it assumes: the DinoSeg namespaces, a <c>dino</c> segmenter when it uses one it does not declare,
/// an ASP.NET Core <c>builder</c> (resolved and used afterwards, as the block's last comment says). The SkiaSharp block is
/// built and run by the package tests (RawPixelsAppTests: a fresh app with SkiaSharp from NuGet), not here.
/// </remarks>
public sealed partial class ReadmeCSharpBlockTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dinoseg-readme-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void EveryCSharpBlock_CompilesAndRuns()
    {
        // Arrange: one method per block, and Program.cs calling the one its argument names.
        string root = TestPaths.RepositoryRoot();
        IReadOnlyList<string> blocks = Readme.CSharpBlocks(root);
        Assert.True(blocks.Count >= 5, $"README.md has {blocks.Count} C# blocks; expected the quickstart, the click loop, SkiaSharp, DI and DINOv3.");
        var run = new List<int>();
        for (int i = 0; i < blocks.Count; i++)
        {
            if (blocks[i].Contains("SKBitmap", StringComparison.Ordinal)) continue; // RawPixelsAppTests
            File.WriteAllText(Path.Combine(_dir, $"Block{i + 1}.cs"), AsMethod(blocks[i], i + 1));
            run.Add(i + 1);
        }

        File.WriteAllText(Path.Combine(_dir, "Program.cs"), $$"""
            switch (int.Parse(args[0]))
            {
            {{string.Concat(run.Select(n => $"    case {n}: Block{n}.Run(); break;\n"))}}    default: throw new ArgumentOutOfRangeException(nameof(args), args[0], "no such block");
            }
            """);
        File.WriteAllText(Path.Combine(_dir, "ReadmeBlocks.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <FrameworkReference Include="Microsoft.AspNetCore.App" />
                <ProjectReference Include="{Path.Combine(root, "src", "DinoSeg", "DinoSeg.csproj")}" />
              </ItemGroup>
            </Project>
            """);
        File.Copy(TestPaths.Image("rocket.jpg"), Path.Combine(_dir, "photo.jpg"));
        File.Copy(TestPaths.Fixture("tiny-dinov3.onnx"), Path.Combine(_dir, "dinov3_vitl16.onnx"));

        // Act
        ChildProcess.Ok(_dir, "dotnet", "build", "ReadmeBlocks.csproj", "-o", "bin");
        var outputs = run.ToDictionary(n => n, n => ChildProcess.Ok(_dir, "dotnet", Path.Combine("bin", "ReadmeBlocks.dll"), $"{n}").StdOut);

        // Assert: the quickstart reports its selection and writes the photo's mask; every block ran to its end.
        Assert.Contains("of the image selected", outputs[1]);
        var mask = Image.Identify(Path.Combine(_dir, "mask.png"));
        Assert.Equal((640, 427), (mask.Width, mask.Height));
        foreach ((int n, string output) in outputs) Assert.Contains($"block {n} ran", output);
    }

    private static string AsMethod(string block, int number)
    {
        bool complete = UsingDirective().IsMatch(block.TrimStart().Split('\n')[0]);
        var usings = new StringBuilder();
        var body = new StringBuilder();
        foreach (string line in block.Split('\n'))
        {
            (UsingDirective().IsMatch(line) ? usings : body).Append(line).Append('\n');
        }

        if (!complete)
        {
            usings.Append("using DinoSeg;\nusing DinoSeg.Rendering;\nusing Microsoft.AspNetCore.Builder;\nusing Microsoft.Extensions.DependencyInjection;\n");
            string code = body.ToString();
            if (code.Contains("dino.", StringComparison.Ordinal) && !code.Contains("var dino", StringComparison.Ordinal))
            {
                body.Insert(0, "using var dino = DinoSegmenter.CreateDefault();\n");
            }

            if (code.Contains("builder.", StringComparison.Ordinal) && !code.Contains("var builder", StringComparison.Ordinal))
            {
                body.Insert(0, "var builder = WebApplication.CreateBuilder();\n");
                body.Append("using var app = builder.Build();\nvar registered = app.Services.GetRequiredService<DinoSegmenter>();\n")
                    .Append("Console.WriteLine($\"{registered.Segment(\"photo.jpg\", new PixelPoint(320, 240)).AreaFraction:P1} of the image selected\");\n");
            }
        }

        return $$"""
            {{usings}}
            internal static class Block{{number}}
            {
                public static void Run()
                {
            {{body}}
                    Console.WriteLine("block {{number}} ran");
                }
            }
            """;
    }

    [GeneratedRegex(@"^using [A-Za-z][\w.]*;\s*$")]
    private static partial Regex UsingDirective();
}
