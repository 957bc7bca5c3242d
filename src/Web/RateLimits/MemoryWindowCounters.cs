using System.Collections.Concurrent;

namespace Api.Web.RateLimits;

/// <summary>
/// Windows counted in this process: the store when no Redis is configured (one instance). Timed on
/// the API's <see cref="TimeProvider"/>, so tests move the clock instead of waiting; the built-in
/// <c>FixedWindowRateLimiter</c> reads <c>Stopwatch</c> directly and says neither how many requests
/// remain nor when its window ends, both of which the 429 answer states.
/// </summary>
internal sealed class MemoryWindowCounters : IWindowCounters
{
    /// <summary>How often ended windows are dropped; until then they are restarted in place when their caller returns.</summary>
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    private readonly TimeProvider time;
    private readonly ConcurrentDictionary<(string Policy, string Caller), Window> windows = new();
    private long nextSweep;

    public MemoryWindowCounters(TimeProvider time)
    {
        this.time = time;
        nextSweep = After(time.GetTimestamp(), SweepInterval);
    }

    public bool CountsSynchronously => true;

    public ValueTask<WindowCount?> CountAsync(CallerPartition partition)
    {
        var now = time.GetTimestamp();
        SweepIfDue(now);
        var key = (partition.Policy.Name, partition.Caller);
        while (true)
        {
            var window = windows.GetOrAdd(key, static _ => new Window());
            lock (window)
            {
                if (window.Swept)
                {
                    continue; // dropped between the lookup and the lock: take the one now in the table
                }

                if (window.Count == 0 || now >= window.EndsAt)
                {
                    window.EndsAt = After(now, partition.Policy.Window);
                    window.Count = 0;
                }

                window.Count++;
                return ValueTask.FromResult<WindowCount?>(new WindowCount(window.Count, time.GetElapsedTime(now, window.EndsAt)));
            }
        }
    }

    /// <summary>
    /// Drops ended windows, once per <see cref="SweepInterval"/>, on the request that finds it due:
    /// anonymous callers come and go by address, and their windows must not pile up.
    /// </summary>
    private void SweepIfDue(long now)
    {
        var due = Volatile.Read(ref nextSweep);
        if (now < due || Interlocked.CompareExchange(ref nextSweep, After(now, SweepInterval), due) != due)
        {
            return;
        }

        foreach (var (key, window) in windows)
        {
            lock (window)
            {
                if (now >= window.EndsAt)
                {
                    window.Swept = true;
                    windows.TryRemove(KeyValuePair.Create(key, window));
                }
            }
        }
    }

    private long After(long timestamp, TimeSpan span) => timestamp + (long)(span.TotalSeconds * time.TimestampFrequency);

    private sealed class Window
    {
        public long EndsAt;
        public long Count;
        public bool Swept;
    }
}
