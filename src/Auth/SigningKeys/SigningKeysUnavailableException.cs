namespace Api.Auth.SigningKeys;

/// <summary>The issuer's signing keys have never been obtained: our outage, not the caller's bad token.</summary>
public sealed class SigningKeysUnavailableException()
    : Exception("The issuer's signing keys have not been obtained yet.");
