namespace DinoSeg;

/// <summary>
/// Counts the calls in flight on an object that owns native resources, so that <see cref="Close"/> can wait for them
/// before the resources are freed: a call that entered finishes normally, a call that comes after <see cref="Close"/>
/// began throws <see cref="ObjectDisposedException"/>. Freeing an ONNX Runtime session under a running <c>Run</c> crashes
/// the process (issue #18), which is what this prevents.
/// </summary>
internal sealed class InFlightGate
{
    private readonly object _lock = new(); // a monitor: Close waits on it
    private int _inFlight;
    private bool _closed;

    /// <summary>Whether <see cref="Close"/> has begun.</summary>
    public bool IsClosed
    {
        get
        {
            lock (_lock) return _closed;
        }
    }

    /// <summary>Enters a call; dispose the returned scope when the call is over (native memory no longer read).</summary>
    /// <exception cref="ObjectDisposedException">Closed (or closing).</exception>
    public Scope Enter(object owner)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_closed, owner);
            _inFlight++;
        }

        return new Scope(this);
    }

    /// <summary>
    /// Refuses new calls and waits until the calls in flight are over. True for the first caller, who then frees the
    /// resources; false (at once) for any later one.
    /// </summary>
    public bool Close()
    {
        lock (_lock)
        {
            if (_closed) return false;
            _closed = true;
            while (_inFlight > 0) Monitor.Wait(_lock);
            return true;
        }
    }

    private void Exit()
    {
        lock (_lock)
        {
            if (--_inFlight == 0 && _closed) Monitor.PulseAll(_lock);
        }
    }

    /// <summary>One call in flight.</summary>
    public readonly struct Scope(InFlightGate gate) : IDisposable
    {
        /// <summary>Ends the call.</summary>
        public void Dispose() => gate.Exit();
    }
}
