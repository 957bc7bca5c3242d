using System.Text.Json.Serialization;

namespace Api.Auth.DevIssuer;

/// <summary>An RFC 6749 §5.2 error answer: the one place in the API that is not problem+json.</summary>
internal sealed record TokenError(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("error_description")] string Description,
    [property: JsonIgnore] int Status,
    [property: JsonIgnore] bool ChallengeBasic = false)
{
    public static TokenError InvalidRequest(string description) => new("invalid_request", description, StatusCodes.Status400BadRequest);

    /// <summary>401; with <c>WWW-Authenticate: Basic</c> when the client tried Basic (RFC 6749 §5.2).</summary>
    public static TokenError InvalidClient(string description, bool basic) => new("invalid_client", description, StatusCodes.Status401Unauthorized, basic);

    public static TokenError UnsupportedGrantType(string? grantType) => new(
        "unsupported_grant_type", $"grant_type '{grantType}' is not supported; use client_credentials.", StatusCodes.Status400BadRequest);

    /// <summary>What Auth0 answers for an audience that is not one of the tenant's APIs.</summary>
    public static TokenError AccessDenied(string description) => new("access_denied", description, StatusCodes.Status403Forbidden);

    public Task WriteAsync(HttpContext context)
    {
        context.Response.StatusCode = Status;
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";
        if (ChallengeBasic)
        {
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"dev-issuer\", charset=\"UTF-8\"";
        }

        return context.Response.WriteAsJsonAsync(this, context.RequestAborted);
    }
}
