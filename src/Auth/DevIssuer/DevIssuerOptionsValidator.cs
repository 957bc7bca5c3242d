using Microsoft.Extensions.Options;

namespace Api.Auth.DevIssuer;

/// <summary>Refuses at start-up a dev issuer that would mint tokens nobody could use, or hand them to anyone.</summary>
internal sealed class DevIssuerOptionsValidator : IValidateOptions<DevIssuerOptions>
{
    public ValidateOptionsResult Validate(string? name, DevIssuerOptions options)
    {
        var failures = new List<string>();
        if (options.Issuer is { Length: > 0 } issuer && Auth0Domain.ToAuthority(issuer) is null)
        {
            failures.Add($"{DevIssuerOptions.Section}:Issuer '{issuer}' is not an http(s) URL.");
        }

        if (options.TokenLifetime <= TimeSpan.Zero)
        {
            failures.Add($"{DevIssuerOptions.Section}:TokenLifetime '{options.TokenLifetime}' must be a positive duration.");
        }

        if (string.IsNullOrWhiteSpace(options.KeyPath))
        {
            failures.Add($"{DevIssuerOptions.Section}:KeyPath is empty: give the file that keeps the signing key across restarts.");
        }

        foreach (var (clientId, client) in options.Clients.Where(c => string.IsNullOrEmpty(c.Value.Secret)))
        {
            failures.Add($"{DevIssuerOptions.Section}:Clients:{clientId}:Secret is empty: a client without a secret could be impersonated by anyone.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
