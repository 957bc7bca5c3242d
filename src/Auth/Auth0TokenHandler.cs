using Api.Auth.SigningKeys;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Api.Auth;

/// <summary>
/// IdentityModel's JWS validation with the two rules it lacks: a token signed by a key we do not
/// hold yet is re-checked once after a (cooldown-limited) key refresh instead of failing, and a
/// token with a <c>crit</c> header is refused (RFC 7515 §4.1.11: we understand no extension).
/// Tokens that pass are remembered by <see cref="ValidatedTokenCache"/>.
/// </summary>
public sealed class Auth0TokenHandler(IssuerSigningKeys keys, ValidatedTokenCache cache) : JsonWebTokenHandler
{
    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        var configuration = keys.Current;
        if (cache.TryGet(token, configuration, out var remembered))
        {
            return remembered;
        }

        var result = await base.ValidateTokenAsync(token, validationParameters).ConfigureAwait(false);

        // With TryAllIssuerSigningKeys off, IdentityModel 8.19 reports a kid missing from the keys as
        // SecurityTokenSignatureKeyNotFoundException (IDX10500). Only a token that names a kid can
        // be helped by a refresh, and only keys that hold that kid are worth a second check.
        if (result.Exception is SecurityTokenSignatureKeyNotFoundException
            && KeyIdOf(token) is { } keyId
            && await keys.RefreshForUnknownKeyAsync(keyId, CancellationToken.None).ConfigureAwait(false) is { } refreshed
            && IssuerSigningKeys.Holds(refreshed, keyId))
        {
            var retry = validationParameters.Clone();
            retry.IssuerSigningKeys = refreshed.SigningKeys;
            result = await base.ValidateTokenAsync(token, retry).ConfigureAwait(false);
        }

        if (result.IsValid && result.SecurityToken is JsonWebToken jwt && jwt.TryGetHeaderValue<object>("crit", out _))
        {
            return new TokenValidationResult { IsValid = false, Exception = new UnsupportedCriticalHeaderException() };
        }

        // Remembered only under the configuration whose keys JwtBearer handed to this check, so a
        // refresh racing with it can never vouch for a key the new JWKS dropped.
        if (result.IsValid && configuration is not null && ReferenceEquals(validationParameters.IssuerSigningKeys, configuration.SigningKeys))
        {
            cache.Add(token, result, configuration);
        }

        return result;
    }

    /// <summary>The token's <c>kid</c>; it was read once already, so this only fails on a token that never got that far.</summary>
    private string? KeyIdOf(string token)
    {
        try
        {
            return ReadJsonWebToken(token).Kid is { Length: > 0 } kid ? kid : null;
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException)
        {
            return null;
        }
    }
}
