using System.Globalization;

namespace DinoSeg.Web;

/// <summary>
/// One memory budget for the whole server (<see cref="WebOptions.CacheBytes"/>): the cached images and their sessions,
/// plus every buffer a request in flight needs (an upload's body and decode, a new session, a stateless render, the copy
/// of a similarity map being sent). A request reserves its estimate before it allocates; the cache shrinks to make room;
/// when the reservations in flight fill the budget, later requests wait (up to <see cref="WebOptions.BudgetWaitSeconds"/>)
/// and are then refused with 503 and <c>Retry-After</c>. So memory follows the budget, not the number of clients.
/// </summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class MemoryBudget
{
    private readonly Lock _lock = new();
    private readonly Func<long> _cachedBytes;
    private readonly Action<long> _makeRoom;
    private readonly TimeSpan _wait;
    private TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _inFlight;
    private long _peakInFlight;
    private long _peakTotal;

    /// <param name="capacity">The budget in bytes.</param>
    /// <param name="cachedBytes">What the cache holds now.</param>
    /// <param name="makeRoom">Asks the cache to evict down to the given bytes (it keeps its most recent image).</param>
    /// <param name="wait">How long a request may wait for room.</param>
    public MemoryBudget(long capacity, Func<long> cachedBytes, Action<long> makeRoom, TimeSpan wait)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        _cachedBytes = cachedBytes;
        _makeRoom = makeRoom;
        _wait = wait;
    }

    public long Capacity { get; }

    /// <summary>Bytes reserved by requests in flight.</summary>
    public long InFlight
    {
        get
        {
            lock (_lock) return _inFlight;
        }
    }

    /// <summary>The most bytes ever reserved at once by requests in flight.</summary>
    public long PeakInFlight
    {
        get
        {
            lock (_lock) return _peakInFlight;
        }
    }

    /// <summary>The most of cache plus reservations at any admission.</summary>
    public long PeakTotal
    {
        get
        {
            lock (_lock) return _peakTotal;
        }
    }

    /// <summary>Reserves <paramref name="bytes"/> for one request; dispose the lease when its buffers are gone.</summary>
    /// <exception cref="ApiException">503: more than the whole budget, or no room within the wait.</exception>
    public async Task<Lease> AcquireAsync(long bytes, string what, CancellationToken cancellationToken)
    {
        if (bytes <= 0) return default;
        if (bytes > Capacity)
        {
            throw new ApiException(StatusCodes.Status503ServiceUnavailable,
                $"{what} needs about {Mebibytes(bytes)}, more than this server's whole memory budget of {Mebibytes(Capacity)} (DinoSeg:CacheBytes).");
        }

        DateTime deadline = DateTime.UtcNow + _wait;
        while (true)
        {
            // Room is what neither the cache (after evicting what it can) nor the requests in flight hold. The cache is asked
            // outside this object's lock: the cache's own lock reads InFlight.
            _makeRoom(Capacity - InFlight - bytes);
            long cached = _cachedBytes();
            Task released;
            lock (_lock)
            {
                if (cached + _inFlight + bytes <= Capacity)
                {
                    _inFlight += bytes;
                    _peakInFlight = Math.Max(_peakInFlight, _inFlight);
                    _peakTotal = Math.Max(_peakTotal, cached + _inFlight);
                    break;
                }

                released = _released.Task;
            }

            TimeSpan left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw Busy(what);
            try
            {
                await released.WaitAsync(left, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw Busy(what);
            }
        }

        return new Lease(this, bytes);
    }

    private void Release(long bytes)
    {
        TaskCompletionSource released;
        lock (_lock)
        {
            _inFlight -= bytes;
            released = _released;
            _released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        released.SetResult();
    }

    private ApiException Busy(string what) =>
        new(StatusCodes.Status503ServiceUnavailable,
            $"The server is busy: {what} must wait for memory ({Mebibytes(InFlight)} of its {Mebibytes(Capacity)} budget are in use by other requests). Try again in a moment.")
        {
            RetryAfterSeconds = 2,
        };

    private static string Mebibytes(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.0} MiB");

    /// <summary>One request's reservation.</summary>
    public readonly struct Lease(MemoryBudget? budget, long bytes) : IDisposable
    {
        public void Dispose() => budget?.Release(bytes);
    }
}
