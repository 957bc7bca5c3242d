using Api.Auth.SigningKeys;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Api.Auth;

/// <summary>
/// IdentityModel's JWS validation with the two rules it lacks: a token signed by a key we do not
/// hold yet is re-checked once after a (cooldown-limited) key refresh instead of failing, and a
/// token with a <c>crit</c> header is refused (RFC 7515 §4.1.11: we understand no extension).
/// </summary>
public sealed class Auth0TokenHandler(IssuerSigningKeys keys) : JsonWebTokenHandler
{
    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        var result = await base.ValidateTokenAsync(token, validationParameters).ConfigureAwait(false);
        if (result.IsValid)
        {
            return Accepted(result);
        }

        var header = HeaderOf(token);

        // IdentityModel reports a disallowed alg (none, HS256, PS256 ...) as a bad signature
        // (IDX10511), which tells the caller nothing; the header says what was really wrong.
        if (header is { IsEncrypted: false, Alg: { } alg } && validationParameters.ValidAlgorithms is { } allowed && !allowed.Contains(alg))
        {
            return new TokenValidationResult
            {
                IsValid = false,
                Exception = new SecurityTokenInvalidAlgorithmException($"The algorithm '{alg}' is not allowed.") { InvalidAlgorithm = alg },
            };
        }

        // With TryAllIssuerSigningKeys off, IdentityModel 8.19 reports a kid missing from the keys as
        // SecurityTokenSignatureKeyNotFoundException (IDX10500). Only a token that names a kid can
        // be helped by a refresh, and only keys that hold that kid are worth a second check.
        if (result.Exception is SecurityTokenSignatureKeyNotFoundException
            && header?.Kid is { Length: > 0 } keyId
            && await keys.RefreshForUnknownKeyAsync(keyId, CancellationToken.None).ConfigureAwait(false) is { } refreshed
            && IssuerSigningKeys.Holds(refreshed, keyId))
        {
            var retry = validationParameters.Clone();
            retry.IssuerSigningKeys = refreshed.SigningKeys;
            result = await base.ValidateTokenAsync(token, retry).ConfigureAwait(false);
            return result.IsValid ? Accepted(result) : result;
        }

        return result;
    }

    /// <summary>A token IdentityModel accepted, refused after all if it has <c>crit</c>.</summary>
    private static TokenValidationResult Accepted(TokenValidationResult result) =>
        result.SecurityToken is JsonWebToken jwt && jwt.TryGetHeaderValue<object>("crit", out _)
            ? new TokenValidationResult { IsValid = false, Exception = new UnsupportedCriticalHeaderException() }
            : result;

    /// <summary>The refused token's header, read again only on this failure path; null if it has none.</summary>
    private JsonWebToken? HeaderOf(string token)
    {
        try
        {
            return ReadJsonWebToken(token);
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException)
        {
            return null;
        }
    }
}
