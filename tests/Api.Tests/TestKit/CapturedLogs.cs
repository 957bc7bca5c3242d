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
    private readonly ConcurrentQueue<string> scopes = new();

    public IReadOnlyList<LogLine> All => [.. lines];

    /// <summary>
    /// The state of every log scope ever begun (hosting's request scope, for one): a sink with
    /// <c>IncludeScopes</c> writes them next to each line, so they must be as clean as the lines.
    /// </summary>
    public IReadOnlyList<string> Scopes => [.. scopes];

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
            where TState : notnull
        {
            sink.scopes.Enqueue(Text(ValuesOf(state)) ?? state.ToString() ?? string.Empty);
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = ValuesOf(state);
            sink.lines.Enqueue(new LogLine(category, logLevel, formatter(state, exception), exception, Text(values) ?? state?.ToString(), values));
        }

        /// <summary>Structured sinks write each value of the state, so tests get to see them too.</summary>
        private static Dictionary<string, object?>? ValuesOf<TState>(TState state) => state is IEnumerable<KeyValuePair<string, object?>> values
            ? values.GroupBy(v => v.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal)
            : null;

        private static string? Text(Dictionary<string, object?>? values) =>
            values is null ? null : string.Join("; ", values.Select(v => $"{v.Key}={v.Value}"));
    }
}

/// <summary>
/// One log line: the formatted <see cref="Message"/>, plus the <see cref="Exception"/> and the
/// structured <see cref="State"/> values a sink may also write (each one in <see cref="Values"/>).
/// </summary>
public sealed record LogLine(
    string Category, LogLevel Level, string Message, Exception? Exception = null, string? State = null, IReadOnlyDictionary<string, object?>? Values = null)
{
    /// <summary>One structured value of the line (e.g. <c>Reason</c>), or null when it has none.</summary>
    public object? this[string name] => Values?.GetValueOrDefault(name);

    /// <summary>Everything a sink could write for this line, the whole exception included.</summary>
    public override string ToString() => $"{Level} {Category}: {Message} {State} {Exception}";
}
