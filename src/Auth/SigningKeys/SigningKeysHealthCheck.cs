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
        var data = states.ToDictionary(
            s => s.Issuer,
            s => (object)(s.State.HasKeys ? "Healthy" : $"Unhealthy: {s.State.Failure ?? "signing keys not obtained yet"}"));
        var held = states.Count(s => s.State.HasKeys);
        return Task.FromResult(held == states.Count ? HealthCheckResult.Healthy("Signing keys held.", data)
            : held > 0 ? HealthCheckResult.Degraded($"Signing keys held for {held} of {states.Count} issuers.", data: data)
            : HealthCheckResult.Unhealthy("Signing keys not obtained yet.", data: data));
    }
}
