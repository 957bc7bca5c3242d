using Api.Auth.SigningKeys;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Api.Auth;

/// <summary>
/// IdentityModel's JWS validation, run against the keys of the one issuer the token names, with
/// the rules IdentityModel lacks: the header is judged before any key is looked at (an <c>alg</c>
/// that is not allowed, or missing, says so instead of "bad signature"; a <c>crit</c> header is
/// refused, RFC 7515 §4.1.11: we understand no extension), and a token signed by a key we do not
/// hold yet is checked once more after a (cooldown-limited) refresh of its issuer's keys.
/// </summary>
internal sealed class Auth0TokenHandler(TrustedIssuers issuers, SigningKeysRefresher schedule) : JsonWebTokenHandler
{
    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        JsonWebToken jwt;
        try
        {
            jwt = ReadJsonWebToken(token);
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException)
        {
            return Refused(e);
        }

        if (jwt.IsEncrypted)
        {
            // Fails as the JWE it is (we hold no decryption key), which TokenRefusal explains.
            return await base.ValidateTokenAsync(jwt, validationParameters).ConfigureAwait(false);
        }

        if (HeaderProblem(jwt, validationParameters) is { } headerProblem)
        {
            return Refused(headerProblem);
        }

        // The unverified iss only picks whose keys to check the signature with; the check itself
        // then requires that very issuer. An issuer we do not trust costs no network request.
        if (issuers.Find(jwt.Issuer) is not { } store)
        {
            return Refused(new SecurityTokenInvalidIssuerException("The token's issuer is not trusted.") { InvalidIssuer = jwt.Issuer });
        }

        if (await store.KeysForRequestAsync().ConfigureAwait(false) is not { } keys)
        {
            return Refused(new SigningKeysUnavailableException(store.Issuer.Issuer, schedule.RetryAfter(store)));
        }

        var result = await ValidateAsync(jwt, validationParameters, store, keys).ConfigureAwait(false);

        // With TryAllIssuerSigningKeys off, IdentityModel 8.19 reports a kid missing from the keys as
        // SecurityTokenSignatureKeyNotFoundException (IDX10500). Only a token that names a kid can
        // be helped by a refresh, and only keys that hold that kid are worth a second check.
        if (result.Exception is SecurityTokenSignatureKeyNotFoundException
            && jwt.Kid is { Length: > 0 } keyId
            && await store.RefreshForUnknownKeyAsync(keyId).ConfigureAwait(false) is { } refreshed
            && refreshed.Holds(keyId))
        {
            result = await ValidateAsync(jwt, validationParameters, store, refreshed).ConfigureAwait(false);
        }

        return result;
    }

    private Task<TokenValidationResult> ValidateAsync(JsonWebToken jwt, TokenValidationParameters shared, SigningKeyStore store, IssuerKeySet keys)
    {
        var parameters = shared.Clone();
        parameters.ValidIssuer = store.Issuer.Issuer;
        parameters.IssuerSigningKeys = keys.Keys;
        return base.ValidateTokenAsync(jwt, parameters);
    }

    /// <summary>
    /// IdentityModel reports a disallowed <c>alg</c> (none, HS256, PS256 ...) as a bad signature
    /// (IDX10511), and a missing or null one likewise, which tells the caller nothing.
    /// </summary>
    private static Exception? HeaderProblem(JsonWebToken jwt, TokenValidationParameters parameters)
    {
        var alg = jwt.TryGetHeaderValue<string>(JwtHeaderParameterNames.Alg, out var value) ? value : null;
        if (alg is null || parameters.ValidAlgorithms?.Contains(alg) is false)
        {
            return new SecurityTokenInvalidAlgorithmException($"The algorithm '{alg}' is not allowed.") { InvalidAlgorithm = alg };
        }

        return jwt.TryGetHeaderValue<object>("crit", out _) ? new UnsupportedCriticalHeaderException() : null;
    }

    private static TokenValidationResult Refused(Exception failure) => new() { IsValid = false, Exception = failure };
}
