using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Api.Auth.SigningKeys;

/// <summary>
/// Ready means able to validate tokens: every trusted issuer's signing keys are held. Some but not
/// all is Degraded (still 200: tokens of the issuers with keys are served); none is Unhealthy.
/// </summary>
internal sealed class SigningKeysHealthCheck(TrustedIssuers issuers) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var states = issuers.Stores.Select(s => (s.Issuer.Issuer, s.State)).ToList();
        var data = new Dictionary<string, object>
        {
            ["issuers"] = states.Select(s => new IssuerHealth(
                s.Issuer,
                s.State.HasKeys ? nameof(HealthStatus.Healthy) : nameof(HealthStatus.Unhealthy),
                s.State.HasKeys ? null : s.State.Failure ?? "Signing keys not obtained yet.")).ToList(),
        };
        var held = states.Count(s => s.State.HasKeys);
        return Task.FromResult(held == states.Count ? HealthCheckResult.Healthy("Signing keys held.", data)
            : held > 0 ? HealthCheckResult.Degraded($"Signing keys held for {held} of {states.Count} issuers.", data: data)
            : HealthCheckResult.Unhealthy("Signing keys not obtained yet.", data: data));
    }

    /// <summary>One issuer's line in <c>/health/ready</c>.</summary>
    /// <param name="Detail">Why it has no keys: the last fetch's failure.</param>
    private sealed record IssuerHealth(string Issuer, string Status, string? Detail);
}
