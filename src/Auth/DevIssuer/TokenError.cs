using System.Text.Json.Serialization;
using Api.Auth.DPoP;

namespace Api.Auth.DevIssuer;

/// <summary>An RFC 6749 §5.2 error answer: the one place in the API that is not problem+json.</summary>
/// <param name="DPoPNonce">For <c>use_dpop_nonce</c>: the nonce to retry with, in a <c>DPoP-Nonce</c> header (RFC 9449 §8).</param>
/// <param name="RetryAfter">For a 503: when to try again.</param>
internal sealed record TokenError(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("error_description")] string Description,
    [property: JsonIgnore] int Status,
    [property: JsonIgnore] bool ChallengeBasic = false,
    [property: JsonIgnore] string? DPoPNonce = null,
    [property: JsonIgnore] TimeSpan? RetryAfter = null)
{
    public static TokenError InvalidRequest(string description) => new("invalid_request", description, StatusCodes.Status400BadRequest);

    /// <summary>401; with <c>WWW-Authenticate: Basic</c> when the client tried Basic (RFC 6749 §5.2).</summary>
    public static TokenError InvalidClient(string description, bool basic) => new("invalid_client", description, StatusCodes.Status401Unauthorized, basic);

    public static TokenError UnsupportedGrantType(string? grantType) => new(
        "unsupported_grant_type", $"grant_type '{grantType}' is not supported; use client_credentials.", StatusCodes.Status400BadRequest);

    /// <summary>What Auth0 answers for an audience that is not one of the tenant's APIs.</summary>
    public static TokenError AccessDenied(string description) => new("access_denied", description, StatusCodes.Status403Forbidden);

    /// <summary>
    /// A refused DPoP proof as the token endpoint answers it (RFC 9449 §5, §8): 400
    /// <c>invalid_dpop_proof</c>, 400 <c>use_dpop_nonce</c> with a fresh nonce, or 503 while the
    /// proof cannot be recorded against replay. No access token comes with a token request, so
    /// no proof refusal here is about one.
    /// </summary>
    public static TokenError From(DPoPProofFailure failure, DPoPNonces nonces) => failure switch
    {
        { Status: StatusCodes.Status503ServiceUnavailable } => new(
            "temporarily_unavailable", failure.Description, StatusCodes.Status503ServiceUnavailable, RetryAfter: failure.RetryAfter),
        { AsksForNonce: true } => new(DPoPProofFailure.UseDPoPNonce, failure.Description, StatusCodes.Status400BadRequest, DPoPNonce: nonces.Issue()),
        _ => new(DPoPProofFailure.InvalidDPoPProof, failure.Description, StatusCodes.Status400BadRequest),
    };

    public Task WriteAsync(HttpContext context)
    {
        context.Response.StatusCode = Status;
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";
        if (ChallengeBasic)
        {
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"dev-issuer\", charset=\"UTF-8\"";
        }

        if (DPoPNonce is not null)
        {
            context.Response.Headers[DPoPNonces.HeaderName] = DPoPNonce;
        }

        if (RetryAfter is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = Challenges.RetryAfterValue(retryAfter);
        }

        return context.Response.WriteAsJsonAsync(this, context.RequestAborted);
    }
}
