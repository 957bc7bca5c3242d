using System.Net;
using Api.Tests.TestKit;

namespace Api.Tests.Auth;

/// <summary>
/// <c>Auth0:AllowedClients</c> (README, "Callers and limits"): with a list set, only tokens whose
/// <c>azp</c> (or <c>client_id</c>) is on it get in; every other valid token of the tenant is
/// refused 401 <c>client_not_allowed</c>, saying which client and where the list lives.
/// </summary>
public sealed class AllowedClientsTests(ApiFixture fixture) : IAsyncLifetime
{
    private ApiFactory api = null!;

    public async ValueTask InitializeAsync() => api = await fixture.StartApiAsync(new Dictionary<string, string?>
    {
        ["Auth0:AllowedClients:0"] = "frontend",
        ["Auth0:AllowedClients:1"] = "partner-a",
    });

    public ValueTask DisposeAsync() => api.DisposeAsync();

    [Theory]
    [InlineData("azp", "frontend")]
    [InlineData("azp", "partner-a")]
    [InlineData("client_id", "partner-a")]
    public async Task A_listed_client_gets_in(string claim, string clientId)
    {
        var token = api.Tokens.Create(t => t.Without("azp").Claim(claim, clientId));

        Assert.Equal((HttpStatusCode.OK, null), await api.StatusAndReasonAsync("/api/private", AuthorizationHeader.Bearer(token)));
    }

    [Theory]
    [InlineData("partner-b")]
    [InlineData("Frontend")]
    [InlineData("frontend ")]
    public async Task Any_other_client_is_refused_naming_it_and_the_setting(string clientId)
    {
        var token = api.Tokens.Create(t => t.Claim("azp", clientId));

        using var response = await api.GetWithAuthorizationAsync("/api/private", AuthorizationHeader.Bearer(token));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_token", WwwAuthenticate.From(response).Error);
        var problem = await response.ReadProblemAsync(TestContext.Current.CancellationToken);
        Assert.Equal("client_not_allowed", problem.StringOf("reason"));
        Assert.Contains($"'{clientId}'", problem.StringOf("detail"), StringComparison.Ordinal);
        Assert.Contains("Auth0:AllowedClients", problem.StringOf("detail"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_naming_no_client_is_refused_when_a_list_is_set()
    {
        var token = api.Tokens.Create(t => t.Without("azp"));

        Assert.Equal((HttpStatusCode.Unauthorized, "client_not_allowed"), await api.StatusAndReasonAsync("/api/private", AuthorizationHeader.Bearer(token)));
    }

    [Fact]
    public async Task A_refused_client_stays_refused_however_often_it_asks()
    {
        var token = api.Tokens.Create(t => t.Claim("azp", "partner-b"));

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal((HttpStatusCode.Unauthorized, "client_not_allowed"), await api.StatusAndReasonAsync("/api/private", AuthorizationHeader.Bearer(token)));
        }
    }

    [Fact]
    public async Task Without_a_list_any_client_of_the_tenant_gets_in()
    {
        var token = fixture.Tokens.Create(t => t.Claim("azp", "anyone"));

        Assert.Equal((HttpStatusCode.OK, null), await fixture.Api.StatusAndReasonAsync("/api/private", AuthorizationHeader.Bearer(token)));
    }
}
