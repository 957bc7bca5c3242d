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
        if (result.Exception is SecurityTokenSignatureKeyNotFoundException
            && await keys.RefreshForUnknownKeyAsync(CancellationToken.None).ConfigureAwait(false) is { } refreshed)
        {
            var retry = validationParameters.Clone();
            retry.IssuerSigningKeys = refreshed.SigningKeys;
            result = await base.ValidateTokenAsync(token, retry).ConfigureAwait(false);
        }

        if (result.IsValid && result.SecurityToken is JsonWebToken jwt && jwt.TryGetHeaderValue<object>("crit", out _))
        {
            return new TokenValidationResult { IsValid = false, Exception = new UnsupportedCriticalHeaderException() };
        }

        return result;
    }
}
