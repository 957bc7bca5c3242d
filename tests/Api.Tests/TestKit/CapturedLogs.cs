using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Api.Tests.TestKit;

/// <summary>
/// Every log line an <see cref="ApiFactory"/>'s API writes (after the usual level filters), so a
/// test can check what was logged and how often.
/// </summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<LogLine> lines = new();

    public IReadOnlyList<LogLine> All => [.. lines];

    /// <summary>Lines at <paramref name="level"/> whose message contains <paramref name="text"/>.</summary>
    public int Count(LogLevel level, string text) =>
        lines.Count(l => l.Level == level && l.Message.Contains(text, StringComparison.Ordinal));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink.lines.Enqueue(new LogLine(category, logLevel, formatter(state, exception), exception, Values(state)));

        /// <summary>Structured sinks write each value of the state, so tests get to see them too.</summary>
        private static string? Values<TState>(TState state) => state is IEnumerable<KeyValuePair<string, object?>> values
            ? string.Join("; ", values.Select(v => $"{v.Key}={v.Value}"))
            : state?.ToString();
    }
}

/// <summary>
/// One log line: the formatted <see cref="Message"/>, plus the <see cref="Exception"/> and the
/// structured <see cref="State"/> values a sink may also write.
/// </summary>
public sealed record LogLine(string Category, LogLevel Level, string Message, Exception? Exception = null, string? State = null)
{
    /// <summary>Everything a sink could write for this line, the whole exception included.</summary>
    public override string ToString() => $"{Level} {Category}: {Message} {State} {Exception}";
}
