using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Web;

/// <summary>
/// One image the server knows: its decoded pixels, its features (extracted once), the PNG the page displays, and the
/// click sessions of the clients working on it. Everything is plain managed memory, so an entry evicted while a request
/// still uses it simply lives until that request ends.
/// </summary>
internal sealed class ImageEntry
{
    private readonly Rgb24[] _pixels;
    private readonly Dictionary<string, ClickSession> _sessions = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _sessionOrder = new();
    private readonly int _maxSessions;
    private readonly long _sessionBytes;
    private readonly Lock _lock = new();
    private readonly Lock _guideLock = new();
    private RefinementGuide? _guide;

    public ImageEntry(string id, string name, Rgb24[] pixels, PatchFeatures features, byte[] png, double extractMs, int maxSessions)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSessions);
        Id = id;
        Name = name;
        _pixels = pixels;
        Features = features;
        Png = png;
        ExtractMs = extractMs;
        _maxSessions = maxSessions;
        _sessionBytes = ClickSession.BytesFor(features);
        BaseBytes = (long)pixels.Length * 3 + (long)features.PatchCount * features.Dim * sizeof(float) + png.Length;
    }

    /// <summary>Content hash of the encoded file: the same photo uploaded twice is extracted once.</summary>
    public string Id { get; }

    /// <summary>File or sample name, for messages only (never used as a path).</summary>
    public string Name { get; }

    public PatchFeatures Features { get; }

    public int Width => Features.ImageWidth;

    public int Height => Features.ImageHeight;

    /// <summary>The decoded image (orientation applied) as PNG, exactly the pixels the server segments.</summary>
    public byte[] Png { get; }

    public double ExtractMs { get; }

    /// <summary>Pixels, features and the PNG.</summary>
    public long BaseBytes { get; }

    /// <summary>Everything this entry holds, sessions included.</summary>
    public long Bytes
    {
        get
        {
            long guide = Volatile.Read(ref _guide) is null ? 0 : GuideBytes;
            lock (_lock) return BaseBytes + guide + _sessions.Values.Sum(session => session.Bytes(_sessionBytes));
        }
    }

    public int SessionCount
    {
        get
        {
            lock (_lock) return _sessions.Count;
        }
    }

    /// <summary>The guide and its statistics for one radius: grey levels, window mean and variance, as floats; and the RGB bytes.</summary>
    private long GuideBytes => 3L * Width * Height * sizeof(float) + 3L * Width * Height;

    /// <summary>
    /// The image as guide for edge refinement, made on the first refined click (most clicks never need it) and then
    /// shared by every session on this image.
    /// </summary>
    /// <returns>The guide and whether it was made now (the entry grew).</returns>
    public (RefinementGuide Guide, bool Created) GetOrCreateGuide()
    {
        if (Volatile.Read(ref _guide) is { } made) return (made, false);
        lock (_guideLock)
        {
            if (_guide is not null) return (_guide, false);
            using (Image<Rgb24> image = WrapImage()) Volatile.Write(ref _guide, RefinementGuide.FromImage(image));
            return (_guide!, true);
        }
    }

    /// <summary>A view of the pixels as an image, without copying; dispose it (that frees nothing of ours).</summary>
    public Image<Rgb24> WrapImage() => Image.WrapMemory<Rgb24>(_pixels.AsMemory(), Width, Height);

    /// <summary>The client's session, made on first use; the least recently used session goes when there are too many.</summary>
    /// <returns>The session and whether it was created now (the entry grew).</returns>
    public (ClickSession Session, bool Created) GetOrCreateSession(string sessionId)
    {
        lock (_lock)
        {
            if (_sessions.TryGetValue(sessionId, out ClickSession? existing))
            {
                _sessionOrder.Remove(sessionId);
                _sessionOrder.AddLast(sessionId);
                existing.LastUsedMs = Environment.TickCount64;
                return (existing, false);
            }

            while (_sessions.Count >= _maxSessions && _sessionOrder.First is { } oldest)
            {
                _sessions.Remove(oldest.Value);
                _sessionOrder.RemoveFirst();
            }

            var session = new ClickSession(Features);
            _sessions.Add(sessionId, session);
            _sessionOrder.AddLast(sessionId);
            return (session, true);
        }
    }

    /// <summary>The client's session if it exists.</summary>
    /// <summary>Drops least recently used sessions (keeping the newest) until this image holds at most <paramref name="limit"/> bytes.</summary>
    public void DropSessionsOver(long limit)
    {
        long guide = Volatile.Read(ref _guide) is null ? 0 : GuideBytes;
        lock (_lock)
        {
            long bytes = BaseBytes + guide + _sessions.Values.Sum(session => session.Bytes(_sessionBytes));
            while (bytes > limit && _sessions.Count > 1 && _sessionOrder.First is { } oldest)
            {
                bytes -= _sessions[oldest.Value].Bytes(_sessionBytes);
                _sessions.Remove(oldest.Value);
                _sessionOrder.RemoveFirst();
            }
        }
    }

    /// <summary>Bytes a new session of this image allocates (its result's maps and the map levels).</summary>
    public long SessionBytes => _sessionBytes;

    public ClickSession? FindSession(string sessionId)
    {
        lock (_lock)
        {
            ClickSession? session = _sessions.GetValueOrDefault(sessionId);
            session?.LastUsedMs = Environment.TickCount64;
            return session;
        }
    }

    /// <summary>
    /// Drops the sessions not used for <paramref name="idleMs"/> (a request still running on one keeps its object; the
    /// client's next request finds no session and clicks again).
    /// </summary>
    /// <returns>How many were dropped.</returns>
    public int DropSessionsIdleFor(long idleMs)
    {
        long cutoff = Environment.TickCount64 - idleMs;
        lock (_lock)
        {
            int dropped = 0;
            for (LinkedListNode<string>? node = _sessionOrder.First; node is not null;)
            {
                LinkedListNode<string>? next = node.Next;
                if (_sessions[node.Value].LastUsedMs <= cutoff)
                {
                    _sessions.Remove(node.Value);
                    _sessionOrder.Remove(node);
                    dropped++;
                }

                node = next;
            }

            return dropped;
        }
    }
}
