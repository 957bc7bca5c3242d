using FastEndpoints;

namespace Api.Features.PrivateScoped;

public sealed class Endpoint : EndpointWithoutRequest<Response>
{
    public const string Permission = "read:messages";

    public override void Configure()
    {
        Get("/api/private-scoped");
        Permissions(Permission);
    }

    public override Task HandleAsync(CancellationToken ct) =>
        Send.OkAsync(new Response("Hello from a private endpoint! You need to be authenticated and have a permission of read:messages to see this."), ct);
}
