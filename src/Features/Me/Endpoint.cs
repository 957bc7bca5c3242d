using Api.Auth;
using FastEndpoints;

namespace Api.Features.Me;

/// <summary>Who the token says the caller is: handy to check what a token really carries.</summary>
internal sealed class Endpoint : EndpointWithoutRequest<Response>
{
    public override void Configure()
    {
        Get("/api/me");
        Summary(s =>
        {
            s.Summary = "What your token says about you";
            s.Description = "The subject, client id, permissions and expiry read from the access token you sent: "
                + "a quick check of what a token really carries. Any valid token will do.";
        });
    }

    public override Task HandleAsync(CancellationToken ct)
    {
        var exp = User.FindFirst("exp")?.Value;
        return Send.OkAsync(new Response(
            Subject: User.FindFirst("sub")?.Value,
            // azp in Auth0 access tokens; client_id in tokens from other OAuth 2.0 servers (RFC 9068).
            ClientId: User.FindFirst("azp")?.Value ?? User.FindFirst("client_id")?.Value,
            Permissions: PermissionClaims.Of(User),
            ExpiresAt: long.TryParse(exp, out var seconds) ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null), ct);
    }
}
