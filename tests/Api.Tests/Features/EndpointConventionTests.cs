using Api.Tests.TestKit;
using FastEndpoints;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Api.Tests.Features;

/// <summary>
/// Secure by default is easy to forget on purpose: every endpoint states its access rule
/// (<c>AllowAnonymous()</c> or <c>Permissions(...)</c>), or is listed here as open to any valid
/// token, so adding such an endpoint is a reviewed decision.
/// </summary>
public sealed class EndpointConventionTests(ApiFixture fixture)
{
    /// <summary>Endpoints that deliberately let in any valid token, whatever its permissions.</summary>
    private static readonly Type[] AnyValidToken =
    [
        typeof(Api.Features.Private.Endpoint),
        typeof(Api.Features.PrivateBound.Endpoint),
        typeof(Api.Features.Me.Endpoint),
    ];

    [Fact]
    public void Every_endpoint_is_anonymous_needs_a_permission_or_is_listed_as_any_valid_token()
    {
        var undeclared = Endpoints()
            .Where(e => !DeclaresAccess(e) && !AnyValidToken.Contains(e.EndpointType))
            .Select(e => $"{e.EndpointType.FullName} ({string.Join(",", e.Verbs)} {string.Join(",", e.Routes)})")
            .ToList();

        Assert.True(
            undeclared.Count == 0,
            "These endpoints declare neither AllowAnonymous() nor Permissions(...): declare one, or add them to "
            + $"{nameof(AnyValidToken)} if any valid token may call them:\n{string.Join("\n", undeclared)}");
    }

    [Fact]
    public void Any_valid_token_list_names_only_endpoints_that_declare_nothing()
    {
        var endpoints = Endpoints().ToDictionary(e => e.EndpointType);

        foreach (var listed in AnyValidToken)
        {
            Assert.True(endpoints.TryGetValue(listed, out var endpoint), $"{listed.FullName} is listed but is no endpoint of the API.");
            Assert.False(DeclaresAccess(endpoint), $"{listed.FullName} is listed but declares its own rule: remove it from the list.");
        }
    }

    [Fact]
    public void Convention_sees_the_API_endpoints()
    {
        // Guards the tests above against passing because they found no endpoint at all.
        var types = Endpoints().Select(e => e.EndpointType).ToList();

        Assert.Contains(typeof(Api.Features.Public.Endpoint), types);
        Assert.Contains(typeof(Api.Features.PrivateScoped.Endpoint), types);
    }

    private static bool DeclaresAccess(EndpointDefinition endpoint) =>
        endpoint.AnonymousVerbs is { Length: > 0 } || endpoint.AllowedPermissions is { Count: > 0 };

    private IEnumerable<EndpointDefinition> Endpoints() =>
        fixture.Api.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .Select(e => e.Metadata.GetMetadata<EndpointDefinition>())
            .OfType<EndpointDefinition>()
            .DistinctBy(d => d.EndpointType);
}
