namespace Api.Auth;

/// <summary>
/// The log line of each refused request, without the log storm of a forged-token flood: the first
/// <see cref="FullLinesPerReason"/> refusals of each reason in a minute are written in full, the
/// rest are counted and summarised in one line per reason when the minute is over. Writing every
/// line cost ~37 µs of CPU per refusal and 75 MB of log in 31 s of flood (bench/RESULTS.md); the
/// <c>api.auth.token_validations</c> metric still counts every refusal.
/// </summary>
internal sealed partial class RefusalLog : IDisposable
{
    /// <summary>Enough to see who is sending what; more says nothing new.</summary>
    public const int FullLinesPerReason = 10;

    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly ILogger<RefusalLog> logger;
    private readonly TimeProvider time;
    private readonly Lock sync = new();
    private readonly Dictionary<string, ReasonWindow> windows = new(StringComparer.Ordinal);
    private readonly ITimer summaries;

    public RefusalLog(ILogger<RefusalLog> logger, TimeProvider time)
    {
        this.logger = logger;
        this.time = time;
        summaries = time.CreateTimer(_ => Summarise(), null, Window, Window);
    }

    /// <summary>
    /// Logs <paramref name="refusal"/> in full, or counts it for the summary. The client, kid and
    /// issuer of a refused token are what it claims, cleaned of control characters and cut short.
    /// </summary>
    public void Write(TokenRefusal refusal, string? clientId, string? keyId, string? issuer)
    {
        if (!logger.IsEnabled(LogLevel.Information))
        {
            return;
        }

        bool inFull;
        lock (sync)
        {
            var now = time.GetUtcNow();
            if (!windows.TryGetValue(refusal.Reason, out var window) || now - window.Start >= Window)
            {
                if (window is { Suppressed: > 0 } ended)
                {
                    LogSuppressed(logger, ended.Suppressed, refusal.Reason, now - ended.Start);
                }

                windows[refusal.Reason] = window = new ReasonWindow(now);
            }

            inFull = window.Written < FullLinesPerReason;
            if (inFull)
            {
                window.Written++;
            }
            else
            {
                window.Suppressed++;
            }
        }

        if (inFull)
        {
            LogRefused(logger, refusal.Status, refusal.Reason, clientId, keyId, issuer, refusal.Description);
        }
    }

    public void Dispose() => summaries.Dispose();

    /// <summary>Closes every minute that is over, with one line for each reason that had lines held back.</summary>
    private void Summarise()
    {
        lock (sync)
        {
            var now = time.GetUtcNow();
            foreach (var (reason, window) in windows.Where(w => now - w.Value.Start >= Window).ToList())
            {
                if (window.Suppressed > 0)
                {
                    LogSuppressed(logger, window.Suppressed, reason, now - window.Start);
                }

                windows.Remove(reason);
            }
        }
    }

    private sealed class ReasonWindow(DateTimeOffset start)
    {
        public DateTimeOffset Start { get; } = start;

        public int Written { get; set; }

        public int Suppressed { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Request refused with {Status} ({Reason}) for client {ClientId}, kid {KeyId}, issuer {Issuer}: {Description}")]
    private static partial void LogRefused(ILogger logger, int status, string reason, string? clientId, string? keyId, string? issuer, string description);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} more requests refused with reason {Reason} in the last {Period} were not logged one by one (the metrics count each)")]
    private static partial void LogSuppressed(ILogger logger, int count, string reason, TimeSpan period);
}
