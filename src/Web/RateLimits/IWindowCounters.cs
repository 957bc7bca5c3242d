namespace Api.Web.RateLimits;

/// <summary>
/// Fixed-window request counts, per policy and caller. A window opens at a caller's first request
/// and lasts the policy's window; the next request after it opens a new one. In memory
/// (<see cref="MemoryWindowCounters"/>) for one instance, in Redis (<see cref="RedisWindowCounters"/>)
/// for several, chosen once at start-up.
/// </summary>
internal interface IWindowCounters
{
    /// <summary>
    /// Whether <see cref="CountAsync"/> always completes before it returns (in memory): then the
    /// limiter decides in the middleware's synchronous attempt, and spares it a second,
    /// asynchronous one (bench/RESULTS.md, "Rate limits").
    /// </summary>
    bool CountsSynchronously { get; }

    /// <summary>
    /// Counts one request of <paramref name="partition"/>; null when it could not be counted
    /// (Redis unreachable), and the request is then let through.
    /// </summary>
    ValueTask<WindowCount?> CountAsync(CallerPartition partition);
}

/// <param name="Count">Requests in the current window, this one included.</param>
/// <param name="ResetAfter">Time left until the window ends.</param>
internal readonly record struct WindowCount(long Count, TimeSpan ResetAfter);
