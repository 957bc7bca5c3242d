using FastEndpoints;

namespace Api.Features.PrivateScoped;

internal sealed class Endpoint : EndpointWithoutRequest<Response>
{
    public const string Permission = "read:messages";

    public override void Configure()
    {
        Get("/api/private-scoped");
        Permissions(Permission);
        Summary(s =>
        {
            // The permission is added to the summary line from the rule above (EndpointSecurity).
            s.Summary = "A greeting for callers with a permission";
            s.Description = "A valid token is not enough: it must also carry the permission, else the answer is 403.";
        });
    }

    public override Task HandleAsync(CancellationToken ct) =>
        Send.OkAsync(new Response("Hello from a private endpoint! You need to be authenticated and have a permission of read:messages to see this."), ct);
}
