using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Api.Auth.SigningKeys;

/// <summary>Ready means able to validate tokens: the issuer's signing keys are held.</summary>
public sealed class SigningKeysHealthCheck(IssuerSigningKeys keys) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(keys.HasKeys
            ? HealthCheckResult.Healthy("Signing keys held.")
            : HealthCheckResult.Unhealthy("Signing keys not obtained yet."));
}
