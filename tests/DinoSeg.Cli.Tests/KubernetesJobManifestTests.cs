using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DinoSeg.Tests.Shared;

namespace DinoSeg.Cli.Tests;

/// <summary>
/// docs/examples/dinoseg-batch-job.yaml, the Kubernetes Indexed Job of docs/batch.md: its numbers agree with each other
/// and with the CLI's exit codes, and its container command, run as written for every completion index with /data
/// pointing at a folder of photos, covers every image exactly once.
/// </summary>
public sealed partial class KubernetesJobManifestTests : IDisposable
{
    private static readonly string Manifest = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot(), "docs", "examples", "dinoseg-batch-job.yaml"))
        .ReplaceLineEndings("\n");

    private static readonly string[] Photos = ["astronaut.jpg", "chelsea.png", "coffee.png", "rocket.jpg"];

    private readonly string _dir = Directory.CreateTempSubdirectory("dinoseg-k8s-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Manifest_IsAnIndexedJobWhoseCompletionsAreTheShardCount_AndWhoseFailurePolicyFollowsTheExitCodes()
    {
        Assert.Equal("batch/v1", Scalar("apiVersion"));
        Assert.Equal("Job", Scalar("kind"));
        Assert.Equal("Indexed", Scalar("spec.completionMode"));
        int completions = int.Parse(Scalar("spec.completions"), CultureInfo.InvariantCulture);
        Assert.Equal(completions, int.Parse(Scalar("spec.parallelism"), CultureInfo.InvariantCulture));
        Assert.Equal("Never", Scalar("spec.template.spec.restartPolicy"));
        Assert.Equal("dinoseg", Scalar("spec.template.spec.containers.name"));
        Assert.Equal("""["sh", "-c"]""", Scalar("spec.template.spec.containers.command"));

        Match shard = ShardOption().Match(Command());
        Assert.True(shard.Success, $"the command has no --shard \"$JOB_COMPLETION_INDEX/N\": {Command()}");
        Assert.Equal(completions, int.Parse(shard.Groups[1].Value, CultureInfo.InvariantCulture));

        // The CLI's exit codes (samples/DinoSeg.Cli/CliException.cs): 7 some images failed, a retry would fail them
        // again; 2 to 6 a bad command line, image, model, device or feature file, the same on every pod.
        Assert.Equal([7], ExitCodesFor("FailIndex"));
        Assert.Equal([2, 3, 4, 5, 6], ExitCodesFor("FailJob"));
    }

    [Fact]
    public void ContainerCommand_RunForEveryCompletionIndex_WritesEachImageOnce()
    {
        // The pods mount the shared volume at /data; here /data is a folder of the four photos and their seeds.
        Match mount = Regex.Match(Manifest, @"volumeMounts:\n\s*- { name: data, mountPath: (/[^ ,}]+) }");
        Assert.True(mount.Success, "the container mounts no volume 'data'");
        string data = Path.Combine(_dir, "data");
        Directory.CreateDirectory(Path.Combine(data, "photos"));
        Directory.CreateDirectory(Path.Combine(data, "logs"));
        foreach (string photo in Photos) File.Copy(TestPaths.Image(photo), Path.Combine(data, "photos", photo));
        File.WriteAllText(Path.Combine(data, "seeds.csv"), "chelsea.png,172,115\ncoffee.png,290,150\nrocket.jpg,320,200\nastronaut.jpg,250,250\n");
        string command = Command().Replace(mount.Groups[1].Value, data, StringComparison.Ordinal);
        string bin = CliProcess.WriteLauncher(Path.Combine(_dir, "bin"));
        int completions = int.Parse(Scalar("spec.completions"), CultureInfo.InvariantCulture);

        var done = new List<string>();
        for (int index = 0; index < completions; index++)
        {
            var env = new Dictionary<string, string?>
            {
                ["PATH"] = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}",
                ["JOB_COMPLETION_INDEX"] = index.ToString(CultureInfo.InvariantCulture),
            };
            ChildProcess.Outcome r = CliProcess.Program("sh", ["-c", command], TimeSpan.FromMinutes(2), env);
            Assert.True(r.ExitCode == 0, $"pod {index}: exit {r.ExitCode}: {r.StdErr}");
            JsonNode summary = JsonNode.Parse(File.ReadAllText(Path.Combine(data, "logs", $"shard-{index}.json")))!;
            Assert.Equal(index, summary["shard"]!["index"]!.GetValue<int>());
            Assert.Equal(completions, summary["shard"]!["count"]!.GetValue<int>());
            done.AddRange(summary["done"]!.AsArray().Select(n => n!.GetValue<string>()));
        }

        Assert.Equal(Photos, done.Order(StringComparer.Ordinal));
        foreach (string photo in Photos)
        {
            string folder = Path.Combine(data, "masks", Path.GetFileNameWithoutExtension(photo));
            Assert.Equal(["mask.png", "result.json"], Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        }
    }

    /// <summary>
    /// The manifest's block-style mappings as dotted paths ("spec.template.spec.restartPolicy") to their scalar values,
    /// comments dropped; a list item ("- name: x") counts as a nesting level with no name of its own, and of repeated
    /// paths the first wins. Enough YAML for this file, which has no anchors, quotes holding '#', or multi-document streams.
    /// </summary>
    private static Dictionary<string, string> Scalars()
    {
        var scalars = new Dictionary<string, string>(StringComparer.Ordinal);
        var open = new List<(int Indent, string Key)>();
        foreach (string raw in Manifest.Split('\n'))
        {
            string line = Regex.Replace(raw, @"(^|\s)#.*$", "").TrimEnd();
            Match entry = Regex.Match(line, @"^( *)(- )?([A-Za-z][\w.-]*):(?: +(.*))?$");
            if (!entry.Success) continue;
            int indent = entry.Groups[1].Length + entry.Groups[2].Length;
            open.RemoveAll(o => o.Indent >= indent);
            string path = string.Join('.', open.Select(o => o.Key).Append(entry.Groups[3].Value));
            if (entry.Groups[4].Success && entry.Groups[4].Value is not (">-" or ">" or "|")) scalars.TryAdd(path, entry.Groups[4].Value);
            else open.Add((indent, entry.Groups[3].Value));
        }

        return scalars;
    }

    private static string Scalar(string path) =>
        Scalars().TryGetValue(path, out string? value) ? value : throw new Xunit.Sdk.XunitException($"the manifest has no scalar at {path}");

    private static int LeadingSpaces(string text, int from)
    {
        int count = 0;
        while (from + count < text.Length && text[from + count] == ' ') count++;
        return count;
    }

    /// <summary>The container's <c>sh -c</c> script: the folded (<c>&gt;-</c>) block under args, its lines joined by spaces.</summary>
    private static string Command()
    {
        string[] lines = Manifest.Split('\n');
        int first = Array.FindIndex(lines, l => l.TrimStart() == "- >-");
        Assert.True(first >= 0, "the manifest's args have no folded '- >-' block");
        int indent = LeadingSpaces(lines[first], 0);
        return string.Join(' ', lines.Skip(first + 1).TakeWhile(l => LeadingSpaces(l, 0) > indent && l.Trim().Length > 0).Select(l => l.Trim()));
    }

    private static int[] ExitCodesFor(string action)
    {
        Match rule = Regex.Match(Manifest, $@"- action: {action}\n(?:\s*#.*\n)*\s*onExitCodes: {{ containerName: dinoseg, operator: In, values: \[([\d, ]+)\] }}");
        Assert.True(rule.Success, $"the manifest's podFailurePolicy has no {action} rule on the dinoseg container's exit codes");
        return [.. rule.Groups[1].Value.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture))];
    }

    [GeneratedRegex("--shard \"\\$JOB_COMPLETION_INDEX/(\\d+)\"")]
    private static partial Regex ShardOption();
}
