using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace DinoSeg.Tests.Hosting;

/// <summary>One captured log record.</summary>
internal sealed record LogRecord(string Category, LogLevel Level, EventId EventId, string Message);

/// <summary>A logger factory that keeps every record at every level, for assertions.</summary>
internal sealed class CapturingLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<LogRecord> _records = new();

    public IReadOnlyList<LogRecord> Records => [.. _records];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _records);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("The capturing factory has no providers.");

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<LogRecord> records) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            records.Enqueue(new LogRecord(category, logLevel, eventId, formatter(state, exception)));
    }
}
