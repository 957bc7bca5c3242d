using FastEndpoints;

namespace Api.Features.Public;

internal sealed class Endpoint : EndpointWithoutRequest<Response>
{
    public override void Configure()
    {
        Get("/api/public");
        AllowAnonymous();
        Summary(s =>
        {
            s.Summary = "A greeting anyone may read";
            s.Description = "Needs no token: the one route to call before you Authorize.";
        });
    }

    public override Task HandleAsync(CancellationToken ct) =>
        Send.OkAsync(new Response("Hello from a public endpoint! You don't need to be authenticated to see this."), ct);
}
