using Api.Auth.DPoP;
using FastEndpoints;

namespace Api.Features.PrivateBound;

/// <summary>
/// Any valid token, sent with DPoP only (RFC 9449), whatever <c>Auth0:DPoP:Mode</c> says: the
/// example of an endpoint that refuses bearer tokens, which anyone holding a copy could use.
/// </summary>
internal sealed class Endpoint : EndpointWithoutRequest<Response>
{
    public override void Configure()
    {
        Get("/api/private-bound");
        Options(x => x.RequireDPoP());
        Summary(s =>
        {
            s.Summary = "A greeting for callers with a DPoP-bound token";
            s.Description = "Send 'Authorization: DPoP <token>' and a 'DPoP' proof made for this request with the token's key; a bearer token gets 401 with a DPoP challenge.";
        });
    }

    public override Task HandleAsync(CancellationToken ct) =>
        Send.OkAsync(new Response("Hello from a DPoP-bound endpoint! Your token is bound to a key you hold."), ct);
}
