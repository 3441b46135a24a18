using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using System.Text.Json.Nodes;
using DinoSeg.Tests.Shared;
using SixLabors.ImageSharp;
using Xunit.Abstractions;

namespace DinoSeg.Cli.Tests;

/// <summary>
/// The batch's scale-out for real: docs/examples/dinoseg-batch-slurm.sh submitted as a job array to a one-node Slurm
/// cluster (<see cref="SlurmCluster"/>), whose shards together must write exactly what one machine writes, and whose
/// killed task, submitted again, must resume to the same bytes.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class SlurmArrayTests(SlurmArrayTests.Fixture fixture, ITestOutputHelper output) : IClassFixture<SlurmArrayTests.Fixture>
{
    private const int Shards = 4;

    // The cancelled task runs shard 1 of 2, six images, so that it has work left however late scancel lands on a busy machine.
    private const int CancelledShards = 2;

    [Fact]
    public void ArrayOfFourShards_UnionOfOutputs_IsByteIdenticalToOneMachine()
    {
        string work = fixture.NewWorkFolder("array");
        var clock = Stopwatch.StartNew();

        string jobId = fixture.Submit(work, Shards, $"--array=0-{Shards - 1}");
        fixture.WaitForJob(jobId);

        output.WriteLine($"sbatch --array=0-{Shards - 1}: job {jobId} left the queue after {clock.Elapsed.TotalSeconds:0.0} s");
        for (int task = 0; task < Shards; task++)
        {
            fixture.AssertCompleted($"{jobId}_{task}");
            JsonNode summary = fixture.Summary(work, task);
            Assert.Equal(fixture.Shard(task, Shards), summary["done"]!.AsArray().Select(n => n!.GetValue<string>()));
            output.WriteLine($"task {task}: {summary.ToJsonString()}");
        }

        AssertSameOutputs(fixture.LocalOutput, Fixture.Masks(work), fixture.Images);
        output.WriteLine($"{fixture.Images.Count} images, {Shards} tasks: every mask.png byte-identical to the one-machine run, result.json identical but for timingsMs");
    }

    [Fact]
    public void TaskCancelledMidRun_SubmittedAgain_ResumesToTheOneMachineBytes()
    {
        const int task = 1;
        string work = fixture.NewWorkFolder("cancelled");
        string masks = Fixture.Masks(work);
        string[] shard = fixture.Shard(task, CancelledShards);

        string jobId = fixture.Submit(work, CancelledShards, $"--array={task}");
        // Cancelled as soon as the first image is complete: polled often, squeue (a process) only every 50th time.
        int polls = 0;
        fixture.Slurm.WaitFor(() => File.Exists(ResultFile(masks, shard[0])) || (++polls % 50 == 0 && !fixture.InQueue(jobId)),
            TimeSpan.FromMinutes(2), $"task {task} to finish its first image", TimeSpan.FromMilliseconds(20));
        Assert.True(fixture.InQueue(jobId), $"task {task} ended before it could be cancelled: {fixture.Slurm.Job($"{jobId}_{task}")}\n{fixture.TaskLogs()}");
        fixture.Slurm.Ok("/usr/bin/scancel", $"{jobId}_{task}");
        fixture.WaitForJob(jobId);

        Assert.Equal("CANCELLED", fixture.Slurm.Job($"{jobId}_{task}").State);
        string[] finished = [.. shard.Where(image => File.Exists(ResultFile(masks, image)))];
        output.WriteLine($"cancelled with {finished.Length} of {shard.Length} images finished: {string.Join(", ", finished)}");
        Assert.True(finished.Length < shard.Length, $"scancel landed after task {task} had finished all of {string.Join(", ", shard)}: nothing was left to resume");

        string again = fixture.Submit(work, CancelledShards, $"--array={task}");
        fixture.WaitForJob(again);

        fixture.AssertCompleted($"{again}_{task}");
        JsonNode summary = fixture.Summary(work, task);
        output.WriteLine($"resubmitted: {summary.ToJsonString()}");
        Assert.Equal(finished, summary["skipped"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(shard.Except(finished), summary["done"]!.AsArray().Select(n => n!.GetValue<string>()));
        AssertSameOutputs(fixture.LocalOutput, masks, shard);
    }

    private static string ResultFile(string masks, string image) => Path.Combine(masks, Path.GetFileNameWithoutExtension(image), "result.json");

    /// <summary>The same image folders with the same files; masks byte for byte, result.json field for field but for timingsMs.</summary>
    private static void AssertSameOutputs(string expectedRoot, string actualRoot, IEnumerable<string> images)
    {
        string[] stems = [.. images.Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)!];
        Assert.Equal(stems, Directory.GetDirectories(actualRoot).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (string stem in stems)
        {
            string expected = Path.Combine(expectedRoot, stem), actual = Path.Combine(actualRoot, stem);
            Assert.Equal(["mask.png", "result.json"], Directory.GetFiles(actual).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            Assert.True(File.ReadAllBytes(Path.Combine(expected, "mask.png")).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(actual, "mask.png"))),
                $"{stem}/mask.png differs from the one-machine run");
            JsonNode want = WithoutTimings(Path.Combine(expected, "result.json")), got = WithoutTimings(Path.Combine(actual, "result.json"));
            Assert.True(JsonNode.DeepEquals(want, got), $"{stem}/result.json differs from the one-machine run:\n{want.ToJsonString()}\n{got.ToJsonString()}");
        }
    }

    private static JsonNode WithoutTimings(string resultFile)
    {
        JsonObject result = JsonNode.Parse(File.ReadAllBytes(resultFile))!.AsObject();
        Assert.True(result.Remove("timingsMs"), $"{resultFile} has no timingsMs");
        return result;
    }

    /// <summary>
    /// One cluster, one folder of photos and one one-machine batch run for the class's tests. A cluster that cannot start
    /// (Slurm not installed, a daemon refusing its configuration) fails every test here with the reason and the logs.
    /// </summary>
    public sealed class Fixture : IDisposable
    {
        // Twelve small photos: three per task of the array of four, six for the cancelled shard of two.
        private static readonly string[] Photos =
        [
            "Images/astronaut.jpg", "Images/chelsea.png", "Images/coffee.png", "Images/rocket.jpg",
            "EvalSet/photos/aloe-pot.jpg", "EvalSet/photos/apple.jpg", "EvalSet/photos/baboon-nose.jpg", "EvalSet/photos/butterfly.jpg",
            "EvalSet/photos/china-pagoda.jpg", "EvalSet/photos/cobbles.jpg", "EvalSet/photos/cypress.jpg", "EvalSet/photos/dog-dog.jpg",
        ];

        private readonly string _bin;
        private readonly string _photos;
        private readonly string _seeds;

        public Fixture()
        {
            Slurm = SlurmCluster.Start(TimeSpan.FromMinutes(1));
            try
            {
                _photos = Directory.CreateDirectory(Path.Combine(Slurm.Folder, "photos")).FullName;
                var rows = new List<string> { "image,x,y" };
                foreach (string photo in Photos)
                {
                    string name = Path.GetFileName(photo);
                    File.Copy(Path.Combine(AppContext.BaseDirectory, photo), Path.Combine(_photos, name));
                    IImageInfo info = Image.Identify(Path.Combine(_photos, name));
                    rows.Add(string.Create(CultureInfo.InvariantCulture, $"{name},{info.Width / 2},{info.Height / 2}"));
                }

                _seeds = Path.Combine(Slurm.Folder, "seeds.csv");
                File.WriteAllLines(_seeds, rows);
                Images = [.. Photos.Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

                // The tasks find `dinoseg` on PATH, as on a real cluster where the dotnet tool is installed.
                _bin = CliProcess.WriteLauncher(Path.Combine(Slurm.Folder, "bin"));

                LocalOutput = Path.Combine(Slurm.Folder, "out-local");
                ChildProcess.Outcome local = CliProcess.Run("batch", _photos, "--seeds", _seeds, "--out", LocalOutput, "--json");
                Assert.True(local.ExitCode == 0, local.StdErr);
            }
            catch
            {
                Slurm.Dispose();
                throw;
            }
        }

        internal SlurmCluster Slurm { get; }

        /// <summary>The photos' file names in ordinal order: the order --shard deals them out in.</summary>
        public IReadOnlyList<string> Images { get; }

        /// <summary>What <c>dinoseg batch</c> wrote on one machine, no shards.</summary>
        public string LocalOutput { get; }

        public static string Masks(string work) => Path.Combine(work, "masks");

        /// <summary>The images of shard <paramref name="task"/> of <paramref name="count"/>: positions task, task + count, ….</summary>
        public string[] Shard(int task, int count) => [.. Images.Where((_, i) => i % count == task)];

        /// <summary>A folder to submit from, with the logs/ folder the script's --output needs.</summary>
        public string NewWorkFolder(string name)
        {
            string work = Path.Combine(Slurm.Folder, name);
            Directory.CreateDirectory(Path.Combine(work, "logs"));
            return work;
        }

        /// <summary>
        /// sbatch of docs/examples/dinoseg-batch-slurm.sh as it is, from <paramref name="work"/>; only the resources are
        /// lowered to fit a 2-core machine, and the paths and shard count come in the environment, as the script reads them.
        /// </summary>
        public string Submit(string work, int shards, params string[] options)
        {
            string script = Path.Combine(TestPaths.RepositoryRoot(), "docs", "examples", "dinoseg-batch-slurm.sh");
            var environment = new Dictionary<string, string?>
            {
                ["PATH"] = $"{_bin}:{Environment.GetEnvironmentVariable("PATH")}",
                ["DINOSEG_PHOTOS"] = _photos,
                ["DINOSEG_SEEDS"] = _seeds,
                ["DINOSEG_MASKS"] = Masks(work),
                ["DINOSEG_SHARDS"] = shards.ToString(CultureInfo.InvariantCulture),
            };
            string[] args = ["--parsable", $"--chdir={work}", "--cpus-per-task=1", "--mem=1G", .. options, script];
            ChildProcess.Outcome r = Slurm.Command("/usr/bin/sbatch", args, environment);
            Assert.True(r.ExitCode == 0, $"sbatch {string.Join(' ', args)} exited {r.ExitCode}: {r.StdErr}\n{Slurm.Logs()}");
            // "123", or "123;cluster" on a multi-cluster setup.
            return r.StdOut.Trim().Split(';')[0];
        }

        /// <summary>
        /// Polls squeue until every task of the job has left the queue (bounded). Not sbatch --wait: it sleeps 2, 8,
        /// then 32 s between its checks, so the array took 42 s with it against 14 s polled, for no extra checking.
        /// </summary>
        public void WaitForJob(string jobId)
        {
            try
            {
                Slurm.WaitFor(() => !InQueue(jobId), TimeSpan.FromMinutes(3), $"job {jobId} to leave the queue");
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException($"{e.Message}\n{TaskLogs()}", e);
            }
        }

        /// <summary>What the task's `dinoseg batch --json` printed, as the script keeps it.</summary>
        public JsonNode Summary(string work, int task) => JsonNode.Parse(File.ReadAllText(Path.Combine(work, "logs", $"shard-{task}.json")))!;

        /// <summary>Whether any task of the job is still pending, running or completing.</summary>
        public bool InQueue(string jobId) => Slurm.Command("/usr/bin/squeue", ["--noheader", $"--jobs={jobId}"]).StdOut.Trim().Length > 0;

        /// <summary>The task ended by itself with exit code 0, as slurmctld recorded it.</summary>
        public void AssertCompleted(string jobTask)
        {
            (string state, string exitCode) = Slurm.Job(jobTask);
            Assert.True(state == "COMPLETED" && exitCode == "0:0", $"task {jobTask}: expected COMPLETED with exit code 0:0, found {state} {exitCode}\n{TaskLogs()}");
        }

        /// <summary>Every task's stdout and stderr (the script's --output files) and summaries, for failure messages.</summary>
        public string TaskLogs() => string.Join('\n', Directory.GetFiles(Slurm.Folder, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(Path.GetDirectoryName(f)) == "logs")
            .Select(f => $"--- {Path.GetRelativePath(Slurm.Folder, f)} ---\n{File.ReadAllText(f)}"));

        public void Dispose() => Slurm.Dispose();
    }
}
