using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Api.Tests.TestKit;

namespace Api.Tests.Auth;

/// <summary>
/// Which permissions a token grants (README, "Configuration"): each element of the
/// <c>permissions</c> array of Auth0 user tokens, whole, and the words of the <c>scope</c> of
/// machine-to-machine tokens, matched exactly.
/// </summary>
public sealed class PermissionMappingTests(ApiFixture fixture)
{
    private const string ScopedRoute = "/api/private-scoped";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Permissions_array_alone_grants_the_permission()
    {
        var token = fixture.Tokens.Create(t => t.Permissions("read:messages"));

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(fixture.Api, token, ScopedRoute));
        Assert.Equal(["read:messages"], await PermissionsAsync(token));
    }

    [Fact]
    public async Task Every_word_of_the_scope_claim_is_a_permission()
    {
        var token = fixture.Tokens.Create(t => t.Scope("openid read:messages write:messages"));

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(fixture.Api, token, ScopedRoute));
        Assert.Equal(["openid", "read:messages", "write:messages"], await PermissionsAsync(token));
    }

    [Fact]
    public async Task Permissions_array_and_scope_words_are_merged_without_duplicates()
    {
        var token = fixture.Tokens.Create(t => t.Permissions("write:messages", "read:messages").Scope("read:messages delete:messages"));

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(fixture.Api, token, ScopedRoute));
        Assert.Equal(["delete:messages", "read:messages", "write:messages"], await PermissionsAsync(token));
    }

    [Theory]
    [InlineData("permissions", "read:messagesX")]
    [InlineData("permissions", "READ:MESSAGES")]
    [InlineData("permissions", "read:message")]
    [InlineData("scope", "read:messagesX")]
    [InlineData("scope", "READ:MESSAGES")]
    [InlineData("scope", "openid,read:messages")]
    [InlineData("permission", "read:messages")]
    [InlineData("scp", "read:messages")]
    public async Task Anything_but_the_exact_permission_in_a_permission_claim_gets_403(string claim, string value)
    {
        var token = fixture.Tokens.Create(t => t.Claim(claim, claim == "permissions" ? new[] { value } : value));

        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(fixture.Api, token, ScopedRoute));
    }

    [Theory]
    [InlineData("read:messages ")]
    [InlineData(" read:messages")]
    [InlineData("read:messages admin")]
    [InlineData("admin read:messages")]
    public async Task An_element_of_the_permissions_array_is_one_permission_taken_whole_never_split(string element)
    {
        var token = fixture.Tokens.Create(t => t.Permissions(element));

        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(fixture.Api, token, ScopedRoute));
        Assert.Equal([element], await PermissionsAsync(token));
    }

    [Fact]
    public async Task A_permissions_claim_sent_as_one_string_is_one_permission_not_a_list()
    {
        var token = fixture.Tokens.Create(t => t.Claim("permissions", "read:messages write:messages"));

        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(fixture.Api, token, ScopedRoute));
        Assert.Equal(["read:messages write:messages"], await PermissionsAsync(token));
    }

    [Fact]
    public async Task Only_the_configured_permission_claims_grant_permissions()
    {
        await using var scopeOnly = await fixture.StartApiAsync(new Dictionary<string, string?>
        {
            ["Auth0:PermissionClaims:0"] = "scope",
        });

        var fromArray = scopeOnly.Tokens.Create(t => t.Permissions("read:messages"));
        var fromScope = scopeOnly.Tokens.Create(t => t.Scope("read:messages"));

        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(scopeOnly, fromArray, ScopedRoute));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(scopeOnly, fromScope, ScopedRoute));
    }

    private static async Task<HttpStatusCode> StatusAsync(ApiFactory api, string token, string route)
    {
        using var client = api.CreateClient(token);
        using var response = await client.GetAsync(route, Cancel);
        return response.StatusCode;
    }

    /// <summary>The permissions <c>/api/me</c> reports for <paramref name="token"/>, sorted.</summary>
    private async Task<string?[]> PermissionsAsync(string token)
    {
        using var client = fixture.Api.CreateClient(token);
        var me = await client.GetFromJsonAsync<JsonElement>("/api/me", Cancel);
        return [.. me.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()).Order(StringComparer.Ordinal)];
    }
}
