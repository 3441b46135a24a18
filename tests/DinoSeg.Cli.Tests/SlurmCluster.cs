using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using DinoSeg.Tests.Shared;

namespace DinoSeg.Cli.Tests;

/// <summary>
/// A one-node Slurm cluster made of Debian's daemons (munged, slurmctld, slurmd), private to one test run: its own munge
/// key and socket, configuration, free ports, state, spool and logs, all in one temporary folder. The daemons are child
/// processes of the test; <see cref="Dispose"/> cancels what is still queued, stops them by their process ids and
/// deletes the folder.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class SlurmCluster : IDisposable
{
    /// <summary>What the test needs from Debian; the test project's csproj installs them when missing.</summary>
    private static readonly string[] Programs =
        ["/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch", "/usr/bin/sinfo", "/usr/bin/squeue", "/usr/bin/scancel", "/usr/bin/scontrol"];

    private const string InstallHint = "fix: as root on Debian, apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge "
        + "(the DinoSeg.Cli.Tests build does this itself when it can)";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private readonly List<Process> _daemons = [];
    private readonly ConcurrentQueue<string> _daemonOutput = new();

    private SlurmCluster(string folder)
    {
        Folder = folder;
        Node = Environment.MachineName;
    }

    /// <summary>The cluster's temporary folder; tests may put their own files under it.</summary>
    public string Folder { get; }

    /// <summary>The one node, named after this machine (slurmd checks the name it is started with against the config).</summary>
    public string Node { get; }

    public string ConfigFile => Path.Combine(Folder, "slurm.conf");

    private string MungeSocket => Path.Combine(Folder, "munge", "munge.socket");

    /// <summary>Writes the configuration, starts the three daemons and waits (bounded) until the node is idle.</summary>
    public static SlurmCluster Start(TimeSpan timeout)
    {
        string[] missing = [.. Programs.Where(p => !File.Exists(p))];
        if (missing.Length > 0)
        {
            throw new InvalidOperationException($"Slurm test cluster: expected Debian's Slurm and munge programs, found {string.Join(", ", missing)} missing; {InstallHint}");
        }

        var cluster = new SlurmCluster(Directory.CreateTempSubdirectory("dinoseg-slurm-").FullName);
        try
        {
            cluster.WriteConfiguration();
            cluster.StartDaemons();
            cluster.WaitUntilIdle(timeout);
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    /// <summary>Runs a Slurm client command (sbatch, scancel, scontrol, sinfo) against this cluster's configuration.</summary>
    public ChildProcess.Outcome Command(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        return CliProcess.Program(program, args, timeout ?? CommandTimeout, ClientEnvironment(environment));
    }

    /// <summary>
    /// This cluster's SLURM_CONF, and none of the SLURM_* or SBATCH_* variables of a Slurm job the test run itself may be
    /// in: sbatch reads those as options (SBATCH_PARTITION …) and would submit into that job's world.
    /// </summary>
    private Dictionary<string, string?> ClientEnvironment(IReadOnlyDictionary<string, string?>? extra)
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (string name in Environment.GetEnvironmentVariables().Keys.Cast<string>())
        {
            if (name.StartsWith("SLURM_", StringComparison.Ordinal) || name.StartsWith("SBATCH_", StringComparison.Ordinal)) env[name] = null;
        }

        foreach ((string name, string? value) in extra ?? new Dictionary<string, string?>()) env[name] = value;
        env["SLURM_CONF"] = ConfigFile;
        return env;
    }

    /// <summary>Like <see cref="Command"/>, and fails with the daemons' logs when the exit code is not 0.</summary>
    public string Ok(string program, params string[] args)
    {
        ChildProcess.Outcome r = Command(program, args);
        if (r.ExitCode != 0) throw new InvalidOperationException($"'{program} {string.Join(' ', args)}' exited {r.ExitCode}: {r.StdErr}{r.StdOut}\n{Logs()}");
        return r.StdOut;
    }

    /// <summary>The state of one job or array task as slurmctld records it (COMPLETED, CANCELLED, RUNNING …) and its exit code.</summary>
    public (string State, string ExitCode) Job(string jobId)
    {
        string show = Ok("/usr/bin/scontrol", "show", "job", "--oneliner", jobId);
        string Field(string name) =>
            show.Split(' ', StringSplitOptions.RemoveEmptyEntries).First(f => f.StartsWith(name + "=", StringComparison.Ordinal))[(name.Length + 1)..];
        return (Field("JobState"), Field("ExitCode"));
    }

    /// <summary>The daemons' console output and the ends of their log files, for failure messages.</summary>
    public string Logs()
    {
        var text = new System.Text.StringBuilder("--- daemon output ---\n");
        foreach (string line in _daemonOutput.TakeLast(40)) text.AppendLine(line);
        foreach (string log in Directory.Exists(LogFolder) ? Directory.GetFiles(LogFolder) : [])
        {
            text.AppendLine($"--- {Path.GetFileName(log)} ---");
            foreach (string line in File.ReadLines(log).TakeLast(30)) text.AppendLine(line);
        }

        return text.ToString();
    }

    private string LogFolder => Path.Combine(Folder, "log");

    private void WriteConfiguration()
    {
        // munged refuses a key readable by others and a socket folder that others cannot enter.
        File.SetUnixFileMode(Folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        foreach (string sub in (string[])["munge", "state", "spool", "log"]) Directory.CreateDirectory(Path.Combine(Folder, sub));
        string key = Path.Combine(Folder, "munge", "munge.key");
        File.WriteAllBytes(key, RandomNumberGenerator.GetBytes(1024));
        File.SetUnixFileMode(key, UnixFileMode.UserRead);

        // Memory is not a consumable here (CR_CPU, no cgroups); the node just has to admit the jobs' --mem requests.
        long memoryMb = MemoryMegabytes() / 2;
        int[] ports = FreePorts(2);
        string[] lines =
        [
            "ClusterName=dinosegtest",
            $"SlurmctldHost={Node}(127.0.0.1)",
            $"SlurmctldPort={ports[0]}",
            $"SlurmdPort={ports[1]}",
            "SlurmUser=root",
            "SlurmdUser=root",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            $"AuthInfo=socket={MungeSocket}",
            $"StateSaveLocation={Path.Combine(Folder, "state")}",
            $"SlurmdSpoolDir={Path.Combine(Folder, "spool")}",
            $"SlurmctldPidFile={Path.Combine(Folder, "slurmctld.pid")}",
            $"SlurmdPidFile={Path.Combine(Folder, "slurmd.pid")}",
            $"SlurmctldLogFile={Path.Combine(LogFolder, "slurmctld.log")}",
            $"SlurmdLogFile={Path.Combine(LogFolder, "slurmd.log")}",
            // No cgroups: processes are tracked through /proc and tasks are not confined, so it runs in a container.
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_CPU",
            "MpiDefault=none",
            "MailProg=/bin/true",
            "ReturnToService=2",
            // A cancelled task gets SIGTERM, then SIGKILL after KillWait seconds.
            "KillWait=5",
            $"NodeName={Node} NodeAddr=127.0.0.1 CPUs={Environment.ProcessorCount} RealMemory={memoryMb} State=UNKNOWN",
            $"PartitionName=test Nodes={Node} Default=YES MaxTime=INFINITE State=UP",
        ];
        File.WriteAllLines(ConfigFile, lines);
    }

    private void StartDaemons()
    {
        string munge = Path.Combine(Folder, "munge");
        StartDaemon("/usr/sbin/munged", "--foreground", $"--socket={MungeSocket}", $"--key-file={Path.Combine(munge, "munge.key")}",
            $"--pid-file={Path.Combine(munge, "munged.pid")}", $"--log-file={Path.Combine(LogFolder, "munged.log")}",
            $"--seed-file={Path.Combine(munge, "munged.seed")}");
        WaitFor(() => File.Exists(MungeSocket), TimeSpan.FromSeconds(20), "munged to create its socket");
        StartDaemon("/usr/sbin/slurmctld", "-D", "-i", "-f", ConfigFile);
        StartDaemon("/usr/sbin/slurmd", "-D", "-f", ConfigFile, "-N", Node);
    }

    private void StartDaemon(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args) start.ArgumentList.Add(arg);
        foreach ((string variable, string? value) in ClientEnvironment(null))
        {
            if (value is null) start.Environment.Remove(variable);
            else start.Environment[variable] = value;
        }

        var process = Process.Start(start)!;
        _daemons.Add(process);
        string name = Path.GetFileName(program);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) _daemonOutput.Enqueue($"{name}: {e.Data}"); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _daemonOutput.Enqueue($"{name}: {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    private void WaitUntilIdle(TimeSpan timeout) =>
        WaitFor(() => Command("/usr/bin/sinfo", ["--noheader", "--nodes", Node, "--format", "%t"]).StdOut.Trim() == "idle", timeout, $"node {Node} to be idle in sinfo");

    /// <summary>Polls <paramref name="done"/> until it holds; fails naming <paramref name="what"/> with the logs, or when a daemon died.</summary>
    public void WaitFor(Func<bool> done, TimeSpan timeout, string what, TimeSpan? pollInterval = null)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            Process? dead = _daemons.FirstOrDefault(d => d.HasExited);
            if (dead is not null) throw new InvalidOperationException($"Slurm test cluster: a daemon exited ({dead.ExitCode}) while waiting for {what}\n{Logs()}");
            if (clock.Elapsed > timeout) throw new TimeoutException($"Slurm test cluster: waited {timeout.TotalSeconds:0} s for {what}\n{Logs()}");
            Thread.Sleep(pollInterval ?? TimeSpan.FromMilliseconds(200));
        }
    }

    public void Dispose()
    {
        // Jobs first, so that no slurmstepd or batch script outlives the cluster; then the daemons, newest first.
        if (_daemons.Count == 3 && _daemons.All(d => !d.HasExited))
        {
            try
            {
                Command("/usr/bin/scancel", ["--full", "--quiet", "--user=root"]);
                WaitFor(() => Command("/usr/bin/squeue", ["--noheader"]).StdOut.Trim().Length == 0, TimeSpan.FromSeconds(20), "cancelled jobs to leave the queue");
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                // Stopping the daemons below still happens; a stuck job is visible in the test's own failure.
            }
        }

        for (int i = _daemons.Count - 1; i >= 0; i--)
        {
            Process daemon = _daemons[i];
            // SIGTERM by pid lets slurmctld stop its slurmscriptd helper and munged remove its socket; SIGKILL if that hangs.
            if (!daemon.HasExited)
            {
                CliProcess.Program("/bin/kill", ["-TERM", daemon.Id.ToString(CultureInfo.InvariantCulture)], CommandTimeout);
                if (!daemon.WaitForExit(TimeSpan.FromSeconds(10))) daemon.Kill();
                daemon.WaitForExit(TimeSpan.FromSeconds(10));
            }

            daemon.Dispose();
        }

        Directory.Delete(Folder, recursive: true);
    }

    private static int[] FreePorts(int count)
    {
        // Port 0 asks the kernel for a free one; all are held until all are chosen, so they differ, then released for
        // the daemons to bind (which they do on every address, hence Any).
        var listeners = new List<TcpListener>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Any, 0);
                listeners.Add(listener);
                listener.Start();
            }

            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (TcpListener listener in listeners) listener.Dispose();
        }
    }

    private static long MemoryMegabytes()
    {
        string total = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        return long.Parse(total.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }
}
