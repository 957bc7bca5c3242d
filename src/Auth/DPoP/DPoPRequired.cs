namespace Api.Auth.DPoP;

/// <summary>
/// Endpoint metadata: this endpoint accepts DPoP-bound tokens only, whatever <c>Auth0:DPoP:Mode</c>
/// says. An endpoint declares it in its <c>Configure()</c> with <c>Options(x => x.RequireDPoP())</c>.
/// </summary>
internal sealed class DPoPRequired
{
    public static readonly DPoPRequired Instance = new();

    private DPoPRequired()
    {
    }
}

/// <summary>The declaration an endpoint makes in its <c>Configure()</c>.</summary>
internal static class DPoPRequiredExtensions
{
    public static TBuilder RequireDPoP<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(DPoPRequired.Instance);
}
