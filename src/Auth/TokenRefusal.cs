using Api.Auth.DPoP;
using Api.Auth.SigningKeys;
using Microsoft.IdentityModel.Tokens;

namespace Api.Auth;

/// <summary>
/// Why a request was refused: the HTTP status, the RFC 6750 error code, a stable reason code for
/// logs and metrics, and a description safe to send back (never any part of the token). The
/// descriptions name the mistakes Auth0 users make most, so the caller knows what to change.
/// </summary>
/// <param name="RequiredScope">For a 403: the permissions the endpoint needs, as an RFC 6750 §3 <c>scope</c>.</param>
/// <param name="RetryAfter">For a 503: when to try again.</param>
internal sealed record TokenRefusal(int Status, string? Error, string Reason, string Description, string? RequiredScope = null, TimeSpan? RetryAfter = null)
{
    public const string InvalidRequest = "invalid_request";
    public const string InvalidToken = "invalid_token";
    public const string InsufficientScope = "insufficient_scope";

    public static readonly TokenRefusal MissingToken = new(
        StatusCodes.Status401Unauthorized, null, "missing_token",
        "This endpoint needs an access token: send 'Authorization: Bearer <token>'.");

    public static TokenRefusal InsufficientPermission(PermissionRule? rule) => new(
        StatusCodes.Status403Forbidden, InsufficientScope, "insufficient_permission",
        rule?.Description ?? "The token lacks the permissions this endpoint needs.", rule?.Scope);

    /// <summary>Classifies the failure JwtBearer reports for a request and explains it.</summary>
    /// <param name="failure">The authentication failure; null when no credentials were sent.</param>
    /// <param name="context">What the API expects, and what the (unverified) token says.</param>
    public static TokenRefusal From(Exception? failure, RefusalContext context) => failure switch
    {
        null => MissingToken,
        AggregateException { InnerExceptions.Count: > 0 } many => From(many.InnerExceptions[0], context),
        AuthorizationHeaderException header => new(StatusCodes.Status400BadRequest, InvalidRequest, "malformed_header", header.Message),
        SigningKeysUnavailableException unavailable => new(StatusCodes.Status503ServiceUnavailable, null, "keys_unavailable",
            "The API has not yet obtained its issuer's signing keys; try again shortly.", RetryAfter: unavailable.RetryAfter),
        SecurityTokenExpiredException expired => Invalid("expired", $"The token expired at {expired.Expires:yyyy-MM-dd'T'HH:mm:ss'Z'}; get a new one."),
        SecurityTokenNotYetValidException early => Invalid("not_yet_valid", $"The token is not valid before {early.NotBefore:yyyy-MM-dd'T'HH:mm:ss'Z'}; check the clocks."),
        SecurityTokenNoExpirationException => Invalid("missing_exp", "The token has no 'exp' claim; access tokens must expire."),
        SecurityTokenInvalidLifetimeException => Invalid("bad_lifetime", "The token's 'nbf' and 'exp' do not form a valid lifetime."),
        SecurityTokenInvalidAudienceException => Audience(context),
        IssuerNotAcceptedException => Invalid("bad_issuer",
            $"The token's issuer '{context.Token?.Issuer}' is one this API trusts, but not for requests to this host."),
        SecurityTokenInvalidIssuerException => Issuer(context),
        SecurityTokenInvalidAlgorithmException => Invalid("alg_not_allowed",
            $"The token's signing algorithm is not allowed; allowed: {string.Join(", ", context.Options.Algorithms)}."),
        SecurityTokenSignatureKeyNotFoundException => Invalid("unknown_kid", "The token's signing key (kid) is not one of the issuer's keys."),
        SecurityTokenInvalidSignatureException => Invalid("bad_signature", "The token's signature is invalid."),
        UnsupportedCriticalHeaderException unsupported => Invalid("unsupported_crit", unsupported.Message),
        DPoPRefusedException dpop => dpop.Failure.ToRefusal(),
        ClientNotAllowedException { ClientId: { } client } => Invalid("client_not_allowed",
            $"The client '{client}' is not one of the clients this API accepts (Auth0:AllowedClients); its owner must add it there."),
        ClientNotAllowedException => Invalid("client_not_allowed",
            "The token names no client (azp or client_id), and this API accepts only the clients listed in Auth0:AllowedClients."),
        // Auth0 hands out an encrypted (five-part) token when the token request names no audience.
        SecurityTokenDecryptionFailedException or SecurityTokenEncryptionKeyNotFoundException => Encrypted(context),
        SecurityTokenMalformedException or ArgumentException => Malformed(context),
        _ => Invalid("invalid_token", "The token is invalid."),
    };

    private static TokenRefusal Audience(RefusalContext context)
    {
        var expected = context.Options.Audience;
        var token = context.Token;
        if (token is { LooksLikeIdToken: true })
        {
            return Invalid("id_token",
                $"This is an ID token (its audience is the client '{(token.Audiences.Count > 0 ? token.Audiences[0] : null)}'), not an access token: send the access token, requested with audience={expected}.");
        }

        return token is { Audiences.Count: > 0 }
            ? Invalid("bad_audience", $"The token is for another API (audience {string.Join(", ", token.Audiences)}); request it with audience={expected}.")
            : Invalid("bad_audience", $"The token has no audience for this API; request it with audience={expected}.");
    }

    private static TokenRefusal Issuer(RefusalContext context)
    {
        var actual = context.Token?.Issuer;
        var trusted = context.TrustedIssuers;
        var trustedList = string.Join(", ", trusted.Select(i => $"'{i}'"));
        if (actual is null)
        {
            return Invalid("bad_issuer", $"The token has no 'iss' claim; this API accepts tokens issued by {trustedList}.");
        }

        if (trusted.FirstOrDefault(i => actual.TrimEnd('/') == i.TrimEnd('/')) is { } expected)
        {
            // Which side lacks the slash decides who has to change something: a configured
            // Auth0:Issuer typed without it is the usual mistake, and only the API owner can fix it.
            return Invalid("bad_issuer", (actual.EndsWith('/'), expected.EndsWith('/')) switch
            {
                (true, false) => $"The token's issuer '{actual}' differs from the expected '{expected}' only by the trailing slash: Auth0 issuers end with '/'. Set Auth0:Issuer to '{actual}', or leave it unset to take the issuer from the discovery document.",
                (false, true) => $"The token's issuer '{actual}' lacks the trailing slash of the expected '{expected}': Auth0 issuers end with '/', so check which issuer minted this token.",
                _ => $"The token's issuer '{actual}' differs from the expected '{expected}' only by trailing slashes; Auth0 issuers end with exactly one '/'.",
            });
        }

        if (trusted.Count == 1 && Uri.TryCreate(actual, UriKind.Absolute, out var actualUri) && Uri.TryCreate(trusted[0], UriKind.Absolute, out var expectedUri)
            && actualUri.Host != expectedUri.Host)
        {
            return Invalid("bad_issuer",
                $"The token was issued by '{actual}' but this API trusts '{trusted[0]}' (tenant domain vs custom domain?); set Auth0:Domain to the domain your clients get their tokens from.");
        }

        return trusted.Count == 1
            ? Invalid("bad_issuer", $"The token's issuer '{actual}' is not '{trusted[0]}'.")
            : Invalid("bad_issuer", $"The token's issuer '{actual}' is none of the issuers this API trusts ({trustedList}).");
    }

    private static TokenRefusal Malformed(RefusalContext context) => context.Token?.Parts switch
    {
        1 => Invalid("malformed_token",
            $"The token is not a JWT (no dots): an opaque token from Auth0 means the token request had no audience; request it with audience={context.Options.Audience}."),
        5 => Encrypted(context),
        _ => Invalid("malformed_token", "The token is not a well-formed JWS: three base64url parts, a JSON header and a JSON payload."),
    };

    private static TokenRefusal Encrypted(RefusalContext context) => Invalid("encrypted_token",
        $"The token is encrypted (JWE, five parts), not a signed access token for this API: Auth0 issues such tokens when the token request has no audience. Request it with audience={context.Options.Audience}.");

    private static TokenRefusal Invalid(string reason, string description) =>
        new(StatusCodes.Status401Unauthorized, InvalidToken, reason, description);
}

/// <summary>What a refusal is explained against.</summary>
/// <param name="Options">The API's Auth0 settings (audience, algorithms).</param>
/// <param name="TrustedIssuers">The issuers tokens may name (their exact <c>iss</c>).</param>
/// <param name="Token">What the refused token says about itself, if one was sent.</param>
internal sealed record RefusalContext(Auth0Options Options, IReadOnlyList<string> TrustedIssuers, TokenFacts? Token);
