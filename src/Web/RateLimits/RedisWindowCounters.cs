using Api.Redis;
using StackExchange.Redis;

namespace Api.Web.RateLimits;

/// <summary>
/// Windows counted in Redis, so every instance sharing it enforces one limit (README, "Running
/// several instances"). A small script rather than RedisRateLimiting.AspNetCore 1.2.1: that
/// library's fixed window is computed from each instance's own clock in whole seconds, and its
/// limiter throws while Redis is unreachable; here Redis's clock alone (<c>PTTL</c>) times a
/// window, so instances whose clocks drift still agree, and an outage is answered here: the
/// request passes uncounted (fail open), with one warning per outage.
/// </summary>
internal sealed partial class RedisWindowCounters(RedisConnection redis, TimeProvider time, ILogger<RedisWindowCounters> logger) : IWindowCounters
{
    private const string KeyPrefix = "rate-limits:";

    /// <summary>
    /// <c>INCR</c> counts the request, creating the key at 1 when no window is open; a key it just
    /// created has no expiry (<c>PTTL</c> -1) and is given the window's length. Redis runs a script
    /// atomically, and it touches one key, so it also runs on a cluster.
    /// </summary>
    private const string CountScript = """
        local count = redis.call('INCR', KEYS[1])
        local ttl = redis.call('PTTL', KEYS[1])
        if ttl < 0 then
          redis.call('PEXPIRE', KEYS[1], ARGV[1])
          ttl = tonumber(ARGV[1])
        end
        return {count, ttl}
        """;

    private readonly Lock sync = new();
    private Outage? outage;

    public bool CountsSynchronously => false;

    public async ValueTask<WindowCount?> CountAsync(CallerPartition partition)
    {
        if (!redis.TryGetDatabase(out var database))
        {
            Failed(null);
            return null;
        }

        try
        {
            var result = (RedisValue[])(await database.ScriptEvaluateAsync(
                CountScript, [Key(partition)], [(long)partition.Policy.Window.TotalMilliseconds]).ConfigureAwait(false))!;
            if (Volatile.Read(ref outage) is not null)
            {
                Recovered();
            }

            return new WindowCount((long)result[0], TimeSpan.FromMilliseconds((long)result[1]));
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Failed(e);
            return null;
        }
    }

    /// <summary>
    /// The window's length is part of the key: after a change of configuration, a window opened
    /// under the old length is not stretched or cut short by the new one.
    /// </summary>
    private static RedisKey Key(CallerPartition partition) =>
        $"{KeyPrefix}{partition.Policy.Name}:{partition.Policy.WindowSeconds}:{partition.Caller}";

    /// <param name="failure">Why the command failed; null when the first connection attempt is still under way.</param>
    private void Failed(Exception? failure)
    {
        lock (sync)
        {
            if (outage is { } ongoing)
            {
                ongoing.Uncounted++;
                return;
            }

            outage = new Outage(time.GetUtcNow());
        }

        LogNotEnforced(logger, failure is null ? "not connected yet" : $"{failure.GetType().Name}: {failure.Message}");
    }

    private void Recovered()
    {
        Outage ended;
        lock (sync)
        {
            if (outage is null)
            {
                return;
            }

            ended = outage;
            outage = null;
        }

        var lasted = time.GetUtcNow() - ended.Since;
        LogEnforcedAgain(logger, lasted, ended.Uncounted);
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Rate limits are not enforced: Redis is unreachable ({Failure}). Requests pass uncounted until it answers again.")]
    private static partial void LogNotEnforced(ILogger logger, string failure);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Rate limits are enforced again: Redis answers after {Duration}; {Uncounted} requests passed uncounted meanwhile.")]
    private static partial void LogEnforcedAgain(ILogger logger, TimeSpan duration, long uncounted);

    private sealed class Outage(DateTimeOffset since)
    {
        public DateTimeOffset Since { get; } = since;

        /// <summary>Requests let through uncounted, the first one included.</summary>
        public long Uncounted { get; set; } = 1;
    }
}
