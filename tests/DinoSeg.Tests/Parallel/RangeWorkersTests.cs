using DinoSeg.Parallel;

namespace DinoSeg.Tests.Parallel;

public sealed class RangeWorkersTests
{
    private sealed class CountingJob(int total) : IRangeJob
    {
        public int[] Hits { get; } = new int[total];

        public void Run(int start, int end)
        {
            for (int i = start; i < end; i++) Interlocked.Increment(ref Hits[i]);
        }
    }

    private sealed class FailingJob : IRangeJob
    {
        public void Run(int start, int end) => throw new InvalidOperationException($"part {start}..{end}");
    }

    /// <summary>Holds the workers: the calling thread's part (the one from 0) waits until released.</summary>
    private sealed class HoldingJob : IRangeJob
    {
        public ManualResetEventSlim Holding { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public void Run(int start, int end)
        {
            if (start != 0) return;
            Holding.Set();
            Release.Wait();
        }
    }

    /// <summary>A struct job no other test runs, so its first dispatch happens in the test that uses it.</summary>
    private readonly struct FirstSeenHereJob(int[] hits) : IRangeJob
    {
        public void Run(int start, int end)
        {
            for (int i = start; i < end; i++) Interlocked.Increment(ref hits[i]);
        }
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(7, 1)]
    [InlineData(1000, 10)]
    [InlineData(1001, 500)]
    [InlineData(5, 100)]
    public void For_CoversEveryIndexExactlyOnce(int total, int minPerPart)
    {
        var job = new CountingJob(total);

        RangeWorkers.Shared.For(job, total, minPerPart);

        Assert.All(job.Hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void For_PartThrows_RethrowsAfterAllPartsFinish_AndStaysUsable()
    {
        // The job's own exception, not a wrapper, whether a helper or the calling thread ran the failing part.
        var e = Assert.Throws<InvalidOperationException>(() => RangeWorkers.Shared.For(new FailingJob(), 1000, 1));
        Assert.StartsWith("part ", e.Message);

        var job = new CountingJob(1000);
        RangeWorkers.Shared.For(job, 1000, 1);
        Assert.All(job.Hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void For_FromManyThreadsAtOnce_EachJobStillCoveredOnce()
    {
        var jobs = Enumerable.Range(0, 16).Select(_ => new CountingJob(5000)).ToArray();

        System.Threading.Tasks.Parallel.ForEach(jobs, new ParallelOptions { MaxDegreeOfParallelism = 8 }, j => RangeWorkers.Shared.For(j, 5000, 1));

        Assert.All(jobs, j => Assert.All(j.Hits, h => Assert.Equal(1, h)));
    }

    [Fact]
    public void For_StructJob_FirstRunAloneWhileWorkersAreHeld_ItsFirstDispatchAllocatesNothing()
    {
        // A click warmed up while another thread's click held the workers ran alone; its next call, the first to dispatch
        // that job type, must not be the one that allocates (it once did, 80 B, in a loaded test run).
        var holding = new HoldingJob();
        var holder = new Thread(() => RangeWorkers.Shared.For(holding, 2, 1));
        holder.Start();
        holding.Holding.Wait();
        var hits = new int[1000];
        RangeWorkers.Shared.For(new FirstSeenHereJob(hits), hits.Length, 1);
        holding.Release.Set();
        holder.Join();

        long before = GC.GetAllocatedBytesForCurrentThread();
        RangeWorkers.Shared.For(new FirstSeenHereJob(hits), hits.Length, 1);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.All(hits, h => Assert.Equal(2, h));
        Assert.Equal(0, allocated);
    }
}
