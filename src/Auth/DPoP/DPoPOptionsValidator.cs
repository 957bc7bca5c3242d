using Microsoft.Extensions.Options;

namespace Api.Auth.DPoP;

/// <summary>
/// Refuses, at start-up, every <c>Auth0:DPoP</c> setting that would make proofs easier to forge
/// or replay, or that no proof could ever satisfy; each message names the key.
/// </summary>
internal sealed class DPoPOptionsValidator : IValidateOptions<DPoPOptions>
{
    /// <summary>HMAC-SHA256 keys shorter than the hash weaken it (RFC 2104 §3).</summary>
    private const int MinNonceKeyBytes = 32;

    public ValidateOptionsResult Validate(string? name, DPoPOptions options)
    {
        var failures = new List<string>();
        const string section = DPoPOptions.Section;

        if (!Enum.IsDefined(options.Mode))
        {
            failures.Add($"{section}:Mode '{options.Mode}' is not one of {string.Join(", ", Enum.GetNames<DPoPMode>())}.");
        }

        foreach (var algorithm in options.Algorithms.Where(a => !ProofKey.SupportedAlgorithms.Contains(a)))
        {
            failures.Add(algorithm.StartsWith("HS", StringComparison.OrdinalIgnoreCase) || algorithm.Equals("none", StringComparison.OrdinalIgnoreCase)
                ? $"{section}:Algorithms contains '{algorithm}', which is never allowed: a proof must be signed with the client's private key (RS256, PS256, ES256, ...)."
                : $"{section}:Algorithms contains the unknown algorithm '{algorithm}'; supported: {string.Join(", ", ProofKey.SupportedAlgorithms.Order(StringComparer.Ordinal))}.");
        }

        if (options.ProofMaxAge <= TimeSpan.Zero)
        {
            failures.Add($"{section}:ProofMaxAge '{options.ProofMaxAge}' must be a positive duration.");
        }

        if (options.ProofLeeway < TimeSpan.Zero)
        {
            failures.Add($"{section}:ProofLeeway '{options.ProofLeeway}' must not be negative.");
        }

        if (options.NonceLifetime <= TimeSpan.Zero)
        {
            failures.Add($"{section}:NonceLifetime '{options.NonceLifetime}' must be a positive duration.");
        }

        if (options.ReplayCacheSize <= 0)
        {
            failures.Add($"{section}:ReplayCacheSize '{options.ReplayCacheSize}' must be a positive number of proofs.");
        }

        const string keyAdvice = "every instance needs the same key: base64 of 32 random bytes or more (e.g. `openssl rand -base64 32`), in Auth0__DPoP__NonceKey.";
        if (options.NonceKey is { Length: > 0 } nonceKey)
        {
            var bytes = new byte[nonceKey.Length];
            if (!Convert.TryFromBase64String(nonceKey, bytes, out var length) || length < MinNonceKeyBytes)
            {
                failures.Add($"{section}:NonceKey is not base64 of at least {MinNonceKeyBytes} bytes: {keyAdvice}");
            }
        }
        else if (options.RequireNonce)
        {
            failures.Add($"{section}:RequireNonce is on but {section}:NonceKey is missing: {keyAdvice}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
