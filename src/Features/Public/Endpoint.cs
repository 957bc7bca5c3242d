using FastEndpoints;

namespace Api.Features.Public;

public sealed class Endpoint : EndpointWithoutRequest<Response>
{
    public override void Configure()
    {
        Get("/api/public");
        AllowAnonymous();
    }

    public override Task HandleAsync(CancellationToken ct) =>
        Send.OkAsync(new Response("Hello from a public endpoint! You don't need to be authenticated to see this."), ct);
}
