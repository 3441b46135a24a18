using System.Collections.Concurrent;
using System.Diagnostics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Tests.Reliability;

/// <summary>
/// Dispose while extractions run (a DI singleton disposed at host shutdown with requests in flight) used to free the ONNX
/// Runtime session under a running <c>Run</c> and crash the process (issue #18). Now Dispose waits for the calls in
/// flight, which finish normally, and every later call throws <see cref="ObjectDisposedException"/>.
/// </summary>
public sealed class DisposeRaceTests
{
    private const int Threads = 3;

    [Fact]
    public void OnnxFeatureExtractorDispose_WhileExtractionsRun_WaitsForThemAndRefusesLaterCalls()
    {
        var extractor = OnnxFeatureExtractor.CreateDefault(new ExtractorOptions { Device = ExecutionDevice.Cpu, IntraOpThreads = 1 });
        using Image<Rgb24> image = Onnx.TinyDinov3Tests.PatternImage(640, 480);

        Race(() => extractor.Extract(image).Dim, extractor.Dispose);

        Assert.Throws<ObjectDisposedException>(() => extractor.Extract(image));
        extractor.Dispose(); // still harmless
    }

    [Fact]
    public void DinoSegmenterDispose_WhileExtractionsRun_WaitsForThemAndRefusesLaterCalls()
    {
        var dino = DinoSegmenter.CreateDefault(new ExtractorOptions { Device = ExecutionDevice.Cpu, IntraOpThreads = 1 });
        using Image<Rgb24> image = Onnx.TinyDinov3Tests.PatternImage(640, 480);

        Race(() => dino.Segment(image, new PixelPoint(10, 10), dino.DefaultThreshold).SelectedPixels, dino.Dispose);

        Assert.Throws<ObjectDisposedException>(() => dino.Extract(image));
        Assert.Throws<ObjectDisposedException>(() => dino.Extractor.Extract(image));
    }

    /// <summary>Runs <paramref name="call"/> in a loop on several threads and calls <paramref name="dispose"/> while they run.</summary>
    private static void Race(Func<int> call, Action dispose)
    {
        var failures = new ConcurrentQueue<Exception>();
        var calls = new ConcurrentQueue<(long Start, long End)>();
        int succeeded = 0, refused = 0;
        using var started = new CountdownEvent(Threads);
        var workers = Enumerable.Range(0, Threads).Select(_ => new Thread(() =>
        {
            bool signalled = false;
            while (true)
            {
                try
                {
                    if (!signalled)
                    {
                        started.Signal();
                        signalled = true;
                    }

                    long start = Stopwatch.GetTimestamp();
                    call();
                    calls.Enqueue((start, Stopwatch.GetTimestamp()));
                    Interlocked.Increment(ref succeeded);
                }
                catch (ObjectDisposedException)
                {
                    Interlocked.Increment(ref refused);
                    return;
                }
                catch (Exception e)
                {
                    failures.Enqueue(e);
                    return;
                }
            }
        })
        { IsBackground = true }).ToArray();
        foreach (Thread worker in workers) worker.Start();
        started.Wait();
        Thread.Sleep(400); // the runs are in flight now

        long disposing = Stopwatch.GetTimestamp();
        dispose();
        long disposedAt = Stopwatch.GetTimestamp();

        foreach (Thread worker in workers) Assert.True(worker.Join(TimeSpan.FromSeconds(60)), "a worker never finished");
        Assert.Empty(failures);
        Assert.Equal(Threads, refused);
        Assert.True(succeeded > 0, "no call finished before the dispose");
        // Calls that began after Dispose returned were all refused; and a call was running when Dispose began, yet finished
        // normally: the session was not freed under it. (A call's end is read after it returns, so it may fall after
        // Dispose returned even though the call left the library first: end times alone prove nothing.)
        Assert.All(calls, c => Assert.True(c.Start <= disposedAt, "a call that began after Dispose returned succeeded"));
        Assert.Contains(calls, c => c.Start < disposing && c.End > disposing);
    }
}
