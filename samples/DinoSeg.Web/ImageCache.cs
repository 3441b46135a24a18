namespace DinoSeg.Web;

/// <summary>
/// Images with their features, bounded by count and by bytes, evicting the least recently used. Concurrent requests for
/// an image that is still being extracted wait for that one extraction instead of starting another.
/// </summary>
/// <remarks>Thread-safe. The image being added or used is never the one evicted, so a single image larger than the
/// byte budget still works (the budget is then exceeded by that image alone).</remarks>
internal sealed class ImageCache
{
    private readonly int _maxImages;
    private readonly long _maxBytes;
    private readonly Dictionary<string, LinkedListNode<ImageEntry>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<ImageEntry> _order = new(); // least recently used first
    private readonly Dictionary<string, Task<ImageEntry>> _pending = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    private readonly Func<long> _reserved;

    /// <param name="maxImages">Most images kept.</param>
    /// <param name="maxBytes">The memory budget; the cache keeps to what the requests in flight leave of it.</param>
    /// <param name="reserved">Bytes reserved by requests in flight (<see cref="MemoryBudget.InFlight"/>), or null for none.</param>
    public ImageCache(int maxImages, long maxBytes, Func<long>? reserved = null)
    {
        _reserved = reserved ?? (() => 0);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxImages);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        _maxImages = maxImages;
        _maxBytes = maxBytes;
    }

    public int Count
    {
        get
        {
            lock (_lock) return _entries.Count;
        }
    }

    /// <summary>Bytes held by all cached images, sessions included.</summary>
    public long Bytes
    {
        get
        {
            lock (_lock) return _order.Sum(e => e.Bytes);
        }
    }

    /// <summary>Ids from least to most recently used.</summary>
    public IReadOnlyList<string> Ids
    {
        get
        {
            lock (_lock) return [.. _order.Select(e => e.Id)];
        }
    }

    /// <summary>The image with this id, marked as just used; null when it is not (or no longer) cached.</summary>
    public ImageEntry? Find(string id)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(id, out LinkedListNode<ImageEntry>? node)) return null;
            _order.Remove(node);
            _order.AddLast(node);
            return node.Value;
        }
    }

    /// <summary>
    /// The cached image with this id, or the one <paramref name="create"/> makes (run once, on the calling thread, however
    /// many callers ask at the same time). A failure is not cached: the next call tries again.
    /// </summary>
    /// <returns>The entry and whether it was already cached (or being made by another caller).</returns>
    public async Task<(ImageEntry Entry, bool Cached)> GetOrAddAsync(string id, Func<ImageEntry> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        TaskCompletionSource<ImageEntry>? mine = null;
        Task<ImageEntry>? running;
        lock (_lock)
        {
            if (_entries.TryGetValue(id, out LinkedListNode<ImageEntry>? node))
            {
                _order.Remove(node);
                _order.AddLast(node);
                return (node.Value, true);
            }

            if (!_pending.TryGetValue(id, out running))
            {
                mine = new TaskCompletionSource<ImageEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
                _pending.Add(id, mine.Task);
            }
        }

        if (mine is null) return (await running!.ConfigureAwait(false), true);

        ImageEntry entry;
        try
        {
            entry = create();
        }
        catch (Exception e)
        {
            lock (_lock) _pending.Remove(id);
            mine.SetException(e);
            // Nobody else may be waiting: observe the exception so it is not reported as unobserved.
            _ = mine.Task.Exception;
            throw;
        }

        lock (_lock)
        {
            _pending.Remove(id);
            _entries.Add(id, _order.AddLast(entry));
            EvictLocked(entry);
        }

        mine.SetResult(entry);
        return (entry, false);
    }

    /// <summary>Call after <paramref name="entry"/> grew (a new session): evicts other images until the budget holds again.</summary>
    public void Grew(ImageEntry entry)
    {
        lock (_lock) EvictLocked(entry);
    }

    /// <summary>Drops every image's sessions not used for <paramref name="idle"/>; returns how many.</summary>
    public int ExpireSessions(TimeSpan idle)
    {
        ImageEntry[] entries;
        lock (_lock) entries = [.. _order];
        return entries.Sum(entry => entry.DropSessionsIdleFor((long)idle.TotalMilliseconds));
    }

    /// <summary>Evicts down to <paramref name="bytes"/> (and what the requests in flight leave), keeping the most recently used image.</summary>
    public void TrimTo(long bytes)
    {
        lock (_lock)
        {
            if (_order.Last is { } last) EvictLocked(last.Value, bytes);
        }
    }

    private void EvictLocked(ImageEntry keep, long? target = null)
    {
        long limit = Math.Max(0, Math.Min(target ?? long.MaxValue, _maxBytes - _reserved()));
        long bytes = _order.Sum(e => e.Bytes);
        LinkedListNode<ImageEntry>? node = _order.First;
        while (node is not null && (_entries.Count > _maxImages || bytes > limit))
        {
            LinkedListNode<ImageEntry>? next = node.Next;
            if (!ReferenceEquals(node.Value, keep))
            {
                bytes -= node.Value.Bytes;
                _entries.Remove(node.Value.Id);
                _order.Remove(node);
            }

            node = next;
        }

        // The image kept may itself be over (many sessions): drop its least recently used sessions, never the last one.
        if (bytes > limit) keep.DropSessionsOver(limit - (bytes - keep.Bytes));
    }
}
