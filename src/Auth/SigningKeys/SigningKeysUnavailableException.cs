namespace Api.Auth.SigningKeys;

/// <summary>
/// The signing keys of the token's issuer have never been obtained: our outage, not the caller's
/// bad token, answered 503 with <see cref="RetryAfter"/>.
/// </summary>
internal sealed class SigningKeysUnavailableException(string issuer, TimeSpan retryAfter)
    : Exception($"The signing keys of '{issuer}' have not been obtained yet.")
{
    /// <summary>Until the next scheduled fetch.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;
}
