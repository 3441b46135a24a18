using System.Runtime.ExceptionServices;

namespace DinoSeg.Parallel;

/// <summary>A unit of per-click work that can be split into contiguous index ranges.</summary>
internal interface IRangeJob
{
    /// <summary>Processes indices [start, end).</summary>
    void Run(int start, int end);
}

/// <summary>
/// Splits a range job over the calling thread and a few persistent background threads, with no allocation per call:
/// the per-click path must stay allocation-free, which rules out Parallel.For and Task. One dispatch at a time;
/// a caller that finds the workers busy (another thread mid-click) simply runs its job alone.
/// </summary>
internal sealed class RangeWorkers
{
    private readonly object _gate = new();
    private readonly SemaphoreSlim[] _start;
    private IRangeJob? _job;
    private int _total;
    private int _parts;
    private int _pending;
    private Exception? _error;

    private RangeWorkers(int helpers)
    {
        _start = new SemaphoreSlim[helpers];
        for (int i = 0; i < helpers; i++)
        {
            _start[i] = new SemaphoreSlim(0);
            int part = i + 1;
            new Thread(() => Loop(part)) { IsBackground = true, Name = $"DinoSeg worker {part}" }.Start();
        }
    }

    /// <summary>One helper thread per additional core, at most 7.</summary>
    public static RangeWorkers Shared => LazyShared.Value;

    /// <summary>How many parts a job can be split into (helpers plus the caller).</summary>
    public int MaxParts => _start.Length + 1;

    private static readonly Lazy<RangeWorkers> LazyShared = new(() => new RangeWorkers(Math.Clamp(Environment.ProcessorCount - 1, 0, 7)));

    /// <summary>Runs <paramref name="job"/> over [0, total), in parts of at least <paramref name="minPerPart"/> indices.</summary>
    public void For(IRangeJob job, int total, int minPerPart)
    {
        int parts = Math.Min(MaxParts, total / Math.Max(1, minPerPart));
        if (parts <= 1 || !Monitor.TryEnter(_gate))
        {
            job.Run(0, total);
            return;
        }

        try
        {
            Dispatch(job, total, parts);
        }
        finally
        {
            Monitor.Exit(_gate);
        }
    }

    /// <summary>
    /// Runs a job whose fields are its inputs (a stage's arrays and values, passed in one call) over [0, total): no boxing,
    /// no allocation. The job is copied into one holder per job type for the helpers to read; only the dispatch holding the
    /// gate touches it (there is one set of workers, <see cref="Shared"/>).
    /// </summary>
    public void For<TJob>(in TJob job, int total, int minPerPart)
        where TJob : struct, IRangeJob
    {
        int parts = Math.Min(MaxParts, total / Math.Max(1, minPerPart));
        // The holder is created on the first call that could split, whether or not it finds the workers free: a first call
        // that found them busy ran alone, and its first dispatch later must not be the call that allocates. A job too small
        // to split never makes one.
        Held<TJob>? held = parts > 1 ? Held<TJob>.Instance : null;
        if (held is null || !Monitor.TryEnter(_gate))
        {
            job.Run(0, total);
            return;
        }

        held.Job = job;
        try
        {
            Dispatch(held, total, parts);
        }
        finally
        {
            held.Job = default; // drop the stage's arrays before another dispatch may take the holder
            Monitor.Exit(_gate);
        }
    }

    /// <summary>Runs the parts over the helpers and the calling thread; the caller holds <see cref="_gate"/>.</summary>
    private void Dispatch(IRangeJob job, int total, int parts)
    {
        _job = job;
        _total = total;
        _parts = parts;
        _error = null;
        _pending = parts - 1;
        for (int i = 0; i < parts - 1; i++) _start[i].Release();
        try
        {
            RunPart(0);
        }
        catch (Exception e)
        {
            _error = e; // still wait below: helpers must finish before the job and ranges are reused
        }

        // The caller's own part takes as long as a helper's, so the wait is short: spin and yield rather than block,
        // which would cost a wake-up and allocate a lock object on first use.
        var spinner = default(SpinWait);
        while (Volatile.Read(ref _pending) > 0) spinner.SpinOnce(sleep1Threshold: -1);
        _job = null;
        // The part's own exception, with its stack, whichever thread ran it: the same type a caller gets when the job
        // runs in one part on the calling thread (one core, or the workers busy).
        if (_error is { } error) ExceptionDispatchInfo.Throw(error);
    }

    private sealed class Held<TJob> : IRangeJob
        where TJob : struct, IRangeJob
    {
        public static readonly Held<TJob> Instance = new();

        public TJob Job;

        public void Run(int start, int end) => Job.Run(start, end);
    }

    private void RunPart(int part)
    {
        int start = (int)((long)_total * part / _parts);
        int end = (int)((long)_total * (part + 1) / _parts);
        _job!.Run(start, end);
    }

    private void Loop(int part)
    {
        while (true)
        {
            _start[part - 1].Wait();
            try
            {
                RunPart(part);
            }
            catch (Exception e)
            {
                _error = e;
            }

            Interlocked.Decrement(ref _pending);
        }
    }
}
