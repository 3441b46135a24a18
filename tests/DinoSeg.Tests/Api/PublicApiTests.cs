using System.Reflection;
using DinoSeg.Tests.Shared;
using PublicApiGenerator;

namespace DinoSeg.Tests.Api;

/// <summary>
/// The library's public API as text, compared with the approved snapshot committed beside this file, so that every change
/// to what users can call shows up as a diff in review instead of slipping into a release.
/// </summary>
/// <remarks>
/// On a deliberate change: the failing run writes <c>DinoSeg.received.txt</c> next to <c>DinoSeg.approved.txt</c>; review
/// the difference and move the received file over the approved one.
/// </remarks>
public sealed class PublicApiTests
{
    private static readonly string Folder = Path.Combine(TestPaths.RepositoryRoot(), "tests", "DinoSeg.Tests", "Api");

    [Fact]
    public void PublicApi_EqualsTheApprovedSnapshot()
    {
        // Arrange
        string approvedPath = Path.Combine(Folder, "DinoSeg.approved.txt"), receivedPath = Path.Combine(Folder, "DinoSeg.received.txt");
        string approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : "";

        // Act
        string api = PublicApi(typeof(DinoSegmenter).Assembly);

        // Assert
        if (api == approved)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, api);
        int line = api.Split('\n').Zip(approved.Split('\n')).TakeWhile(p => p.First == p.Second).Count() + 1;
        Assert.Fail($"The public API differs from {approvedPath} from line {line} on. If the change is deliberate, review " +
            $"`diff {approvedPath} {receivedPath}` and move the received file over the approved one.");
    }

    [Fact]
    public void PublicApi_ExportsNoKernels()
    {
        // Kernels are implementation details: the segmenter calls them, users call the segmenter.
        string[] exported = [.. typeof(DinoSegmenter).Assembly.GetExportedTypes().Where(t => t.Namespace == "DinoSeg.Kernels").Select(t => t.Name)];

        Assert.Empty(exported);
    }

    /// <summary>The API text without the assembly attributes (their build-specific values are not API).</summary>
    internal static string PublicApi(Assembly assembly) =>
        assembly.GeneratePublicApi(new ApiGeneratorOptions { IncludeAssemblyAttributes = false }).ReplaceLineEndings("\n") + "\n";
}
