using FastEndpoints;

namespace Api.Features.Private;

/// <summary>Declares no rule: FastEndpoints' secure default lets any valid token in.</summary>
internal sealed class Endpoint : EndpointWithoutRequest<Response>
{
    public override void Configure()
    {
        Get("/api/private");
        Summary(s =>
        {
            s.Summary = "A greeting for any caller with a valid token";
            s.Description = "Any access token this API accepts will do, whatever permissions it carries.";
        });
    }

    public override Task HandleAsync(CancellationToken ct) =>
        Send.OkAsync(new Response("Hello from a private endpoint! You need to be authenticated to see this."), ct);
}
