using Microsoft.IdentityModel.Tokens;
using Api.Auth.SigningKeys;

namespace Api.Auth;

/// <summary>
/// Why a request was refused: the HTTP status, the RFC 6750 error code, a stable reason code for
/// logs and metrics, and a description safe to send back (never any part of the token).
/// </summary>
public sealed record TokenRefusal(int Status, string? Error, string Reason, string Description)
{
    public const string InvalidRequest = "invalid_request";
    public const string InvalidToken = "invalid_token";
    public const string InsufficientScope = "insufficient_scope";

    public static readonly TokenRefusal MissingToken = new(
        StatusCodes.Status401Unauthorized, null, "missing_token",
        "This endpoint needs an access token: send 'Authorization: Bearer <token>'.");

    public static TokenRefusal InsufficientPermission(string description) => new(
        StatusCodes.Status403Forbidden, InsufficientScope, "insufficient_permission", description);

    /// <summary>Classifies the failure JwtBearer reports for a request.</summary>
    public static TokenRefusal From(Exception? failure, Auth0Options options) => failure switch
    {
        null => MissingToken,
        AggregateException { InnerExceptions.Count: > 0 } many => From(many.InnerExceptions[0], options),
        AuthorizationHeaderException header => new(StatusCodes.Status400BadRequest, InvalidRequest, "malformed_header", header.Message),
        SigningKeysUnavailableException => new(StatusCodes.Status503ServiceUnavailable, null, "keys_unavailable",
            "The API has not yet obtained its issuer's signing keys; try again shortly."),
        SecurityTokenExpiredException expired => Invalid("expired", $"The token expired at {expired.Expires:yyyy-MM-dd'T'HH:mm:ss'Z'}."),
        SecurityTokenNotYetValidException early => Invalid("not_yet_valid", $"The token is not valid before {early.NotBefore:yyyy-MM-dd'T'HH:mm:ss'Z'}."),
        SecurityTokenNoExpirationException => Invalid("missing_exp", "The token has no 'exp' claim."),
        SecurityTokenInvalidLifetimeException => Invalid("bad_lifetime", "The token's 'nbf' and 'exp' do not form a valid lifetime."),
        SecurityTokenInvalidAudienceException => Invalid("bad_audience", $"The token's audience is not this API; request it with audience={options.Audience}."),
        SecurityTokenInvalidIssuerException => Invalid("bad_issuer", "The token was not issued by this API's issuer."),
        SecurityTokenInvalidAlgorithmException => Invalid("alg_not_allowed", $"The token's signing algorithm is not allowed; allowed: {string.Join(", ", options.Algorithms)}."),
        SecurityTokenSignatureKeyNotFoundException => Invalid("unknown_kid", "The token's signing key (kid) is not one of the issuer's keys."),
        SecurityTokenInvalidSignatureException => Invalid("bad_signature", "The token's signature is invalid."),
        UnsupportedCriticalHeaderException unsupported => Invalid("unsupported_crit", unsupported.Message),
        // Auth0 hands out an encrypted or opaque token when the token request names no audience.
        SecurityTokenDecryptionFailedException => Invalid("encrypted_token", $"The token is encrypted (JWE), not a signed JWT for this API; request it with audience={options.Audience}."),
        SecurityTokenMalformedException or ArgumentException => Invalid("malformed_token", "The token is not a well-formed JWT (three base64url parts)."),
        _ => Invalid("invalid_token", "The token is invalid."),
    };

    private static TokenRefusal Invalid(string reason, string description) =>
        new(StatusCodes.Status401Unauthorized, InvalidToken, reason, description);
}
