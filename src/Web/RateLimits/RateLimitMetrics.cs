using System.Diagnostics.Metrics;

namespace Api.Web.RateLimits;

/// <summary>
/// The <c>Api.RateLimits</c> meter, next to ASP.NET Core's <c>Microsoft.AspNetCore.RateLimiting</c>:
/// that one counts leases; this one says who was limited, and how many requests went uncounted
/// while Redis was unreachable. Watch it with
/// <c>dotnet-counters monitor -n Api --counters Api.RateLimits</c>.
/// </summary>
internal sealed class RateLimitMetrics
{
    public const string MeterName = "Api.RateLimits";

    /// <summary>The <c>client</c> tag of requests without a valid token: never their address, which would make a series per caller.</summary>
    public const string AnonymousClient = "anonymous";

    private readonly Counter<long> limited;
    private readonly Counter<long> uncounted;

    public RateLimitMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        limited = meter.CreateCounter<long>(
            "api.rate_limits.limited", "{request}", "Requests answered 429, by policy and client (\"anonymous\" without a valid token).");
        uncounted = meter.CreateCounter<long>(
            "api.rate_limits.uncounted", "{request}", "Requests let through uncounted because Redis was unreachable (fail open), by policy.");
    }

    public void Limited(CallerPartition partition) =>
        limited.Add(1, new KeyValuePair<string, object?>("policy", partition.Policy.Name), new KeyValuePair<string, object?>("client", partition.ClientId ?? AnonymousClient));

    public void Uncounted(CallerPartition partition) =>
        uncounted.Add(1, new KeyValuePair<string, object?>("policy", partition.Policy.Name));
}
