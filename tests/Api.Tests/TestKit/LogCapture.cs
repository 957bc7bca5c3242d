using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Api.Tests.TestKit;

/// <summary>
/// Keeps every log entry the API writes (at the levels its <c>Logging</c> configuration enables),
/// for tests about logs: why start-up was refused, that no token is ever logged.
/// </summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> entries = new();

    public IReadOnlyCollection<LogEntry> Entries => entries;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, entries);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<LogEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue(new(category, logLevel, eventId, formatter(state, exception), exception, Describe(state)));

        /// <summary>Structured sinks write each value of the state, so the test sees them all.</summary>
        private static string? Describe<TState>(TState state) => state is IEnumerable<KeyValuePair<string, object?>> values
            ? string.Join("; ", values.Select(v => $"{v.Key}={v.Value}"))
            : state?.ToString();
    }
}

/// <summary>One log entry: <see cref="Message"/> is the formatted line, <see cref="State"/> the structured values.</summary>
public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception, string? State)
{
    /// <summary>Everything the entry could put in a log sink: message, state and the whole exception.</summary>
    public override string ToString() => $"{Level} {Category}[{EventId.Id}] {Message} {State} {Exception}";
}
