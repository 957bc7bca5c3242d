using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Api.Redis;

/// <summary>
/// Whether Redis answers a PING. Registered as Degraded when it does not: the API still serves
/// (what depends on Redis decides how to do without it), so <c>/health/ready</c> stays 200 and a
/// load balancer keeps the instance. Not ready at all until the first connection attempt is over:
/// until then what Redis holds (rate limits) would go unenforced on an instance just started,
/// though Redis is up. The answer never names the server: the route is public.
/// </summary>
internal sealed class RedisHealthCheck(RedisConnection redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (redis.IsConnecting)
        {
            return HealthCheckResult.Unhealthy("Redis connecting.");
        }

        var unreachable = new HealthCheckResult(context.Registration.FailureStatus, "Redis unreachable.");
        if (!redis.TryGetDatabase(out var database))
        {
            return unreachable;
        }

        try
        {
            var roundTrip = await database.PingAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"Redis answered in {roundTrip.TotalMilliseconds:0.#} ms.");
        }
        catch (Exception e) when (e is RedisException or TimeoutException or OperationCanceledException)
        {
            return unreachable;
        }
    }
}
