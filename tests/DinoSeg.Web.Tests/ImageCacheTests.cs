using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Web.Tests;

/// <summary>The feature cache: bounded by count and bytes, least recently used out first, one extraction per image.</summary>
public sealed class ImageCacheTests
{
    // 10 x 10 pixels, a 2 x 2 grid of 4-d vectors: 300 B of pixels + 64 B of features + 0 B of PNG = 364 B per image.
    private static ImageEntry Entry(string id, int sessions = 4)
    {
        float[] vectors = [.. Enumerable.Range(0, 16).Select(i => (float)(i % 5 + 1))];
        PatchFeatures features = PatchFeatures.FromVectors(vectors, 2, 2, 4, 5, 10, 10, 10, 10, "test");
        return new ImageEntry(id, id, new Rgb24[100], features, [], 1, sessions);
    }

    [Fact]
    public async Task GetOrAdd_OverTheCount_EvictsTheLeastRecentlyUsed()
    {
        var cache = new ImageCache(maxImages: 2, maxBytes: 1 << 20);
        await cache.GetOrAddAsync("a", () => Entry("a"));
        await cache.GetOrAddAsync("b", () => Entry("b"));
        Assert.NotNull(cache.Find("a")); // a is now the most recently used

        await cache.GetOrAddAsync("c", () => Entry("c"));

        Assert.Equal(["a", "c"], cache.Ids);
        Assert.Null(cache.Find("b"));
    }

    [Fact]
    public async Task GetOrAdd_OverTheBytes_EvictsUntilTheBudgetHolds()
    {
        long one = Entry("x").Bytes;
        var cache = new ImageCache(maxImages: 100, maxBytes: 2 * one + one / 2);
        foreach (string id in new[] { "a", "b", "c", "d" }) await cache.GetOrAddAsync(id, () => Entry(id));

        Assert.Equal(["c", "d"], cache.Ids);
        Assert.True(cache.Bytes <= 2 * one + one / 2);
    }

    [Fact]
    public async Task Grew_NewSessionsCount_AgainstTheBudget()
    {
        ImageEntry a = Entry("a"), b = Entry("b");
        long session = ClickSession.BytesFor(a.Features);
        var cache = new ImageCache(maxImages: 10, maxBytes: a.Bytes + b.Bytes + session);
        await cache.GetOrAddAsync("a", () => a);
        await cache.GetOrAddAsync("b", () => b);
        b.GetOrCreateSession("s1");
        cache.Grew(b);
        Assert.Equal(["a", "b"], cache.Ids);

        b.GetOrCreateSession("s2");
        cache.Grew(b);

        Assert.Equal(["b"], cache.Ids);
    }

    [Fact]
    public async Task GetOrAdd_OneImageOverTheBudget_StillServesIt()
    {
        var cache = new ImageCache(maxImages: 4, maxBytes: 1);

        var (entry, cached) = await cache.GetOrAddAsync("a", () => Entry("a"));

        Assert.False(cached);
        Assert.Same(entry, cache.Find("a"));
    }

    [Fact]
    public async Task GetOrAdd_ConcurrentCallers_CreateOnce()
    {
        var cache = new ImageCache(4, 1 << 20);
        int created = 0;
        using var release = new ManualResetEventSlim();
        ImageEntry Slow()
        {
            Interlocked.Increment(ref created);
            release.Wait(TimeSpan.FromSeconds(10));
            return Entry("a");
        }

        Task<(ImageEntry, bool)> first = Task.Run(() => cache.GetOrAddAsync("a", Slow));
        SpinWait.SpinUntil(() => Volatile.Read(ref created) == 1, TimeSpan.FromSeconds(10));
        // Called here, not on another thread: the call has found "a" being made, and awaits it, by the time it returns.
        Task<(ImageEntry, bool)> second = cache.GetOrAddAsync("a", Slow);
        Assert.False(second.IsCompleted);
        release.Set();

        var (one, firstCached) = await first;
        var (two, secondCached) = await second;
        Assert.Equal(1, created);
        Assert.Same(one, two);
        Assert.False(firstCached);
        Assert.True(secondCached);
    }

    [Fact]
    public async Task GetOrAdd_Failure_IsNotCached()
    {
        var cache = new ImageCache(4, 1 << 20);

        await Assert.ThrowsAsync<ApiException>(() => cache.GetOrAddAsync("a", () => throw new ApiException(415, "no")));
        var (entry, cached) = await cache.GetOrAddAsync("a", () => Entry("a"));

        Assert.False(cached);
        Assert.Equal("a", entry.Id);
    }

    [Fact]
    public void Sessions_OverThePerImageCount_DropTheLeastRecentlyUsed()
    {
        ImageEntry entry = Entry("a", sessions: 2);
        var (s1, created1) = entry.GetOrCreateSession("s1");
        entry.GetOrCreateSession("s2");
        var (again, created) = entry.GetOrCreateSession("s1"); // s1 used again: s2 is now the oldest
        entry.GetOrCreateSession("s3");

        Assert.True(created1);
        Assert.False(created);
        Assert.Same(s1, again);
        Assert.NotNull(entry.FindSession("s1"));
        Assert.Null(entry.FindSession("s2"));
        Assert.Equal(2, entry.SessionCount);
    }
}
