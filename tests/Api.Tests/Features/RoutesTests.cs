using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Api.Tests.TestKit;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Api.Tests.Features;

/// <summary>The routes (README, "Routes"): who gets in, and what each one answers.</summary>
public sealed class RoutesTests(ApiFixture fixture)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Public_answers_200_without_a_token()
    {
        using var client = fixture.Api.CreateClient();
        using var response = await client.GetAsync("/api/public", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Contains("public", body.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Public_answers_200_even_with_an_expired_token()
    {
        // A frontend may keep sending a stale token; anonymous routes must not start refusing it.
        using var client = fixture.Api.CreateClient(fixture.Tokens.Create(t => t.ExpiresAt(DateTimeOffset.UtcNow.AddHours(-1))));
        using var response = await client.GetAsync("/api/public", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("/api/private")]
    [InlineData("/api/private-scoped")]
    [InlineData("/api/me")]
    public async Task Protected_route_answers_401_without_a_token(string route)
    {
        using var client = fixture.Api.CreateClient();
        using var response = await client.GetAsync(route, Cancel);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Private_answers_200_to_any_valid_token()
    {
        using var client = fixture.Api.CreateClient(fixture.Tokens.Create());
        using var response = await client.GetAsync("/api/private", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Contains("authenticated", body.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Private_scoped_answers_200_with_read_messages()
    {
        using var client = fixture.Api.CreateClient(fixture.Tokens.WithPermissions("read:messages"));
        using var response = await client.GetAsync("/api/private-scoped", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Contains("read:messages", body.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Private_scoped_answers_403_to_a_valid_token_without_read_messages()
    {
        using var client = fixture.Api.CreateClient(fixture.Tokens.Create());
        using var response = await client.GetAsync("/api/private-scoped", Cancel);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Me_shows_subject_client_permissions_and_expiry_of_the_token()
    {
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddMinutes(42).ToUnixTimeSeconds());
        var token = fixture.Tokens.Create(t => t
            .Claim("sub", "partner-app@clients")
            .Claim("azp", "partner-app")
            .Permissions("read:messages")
            .Scope("write:messages")
            .ExpiresAt(expiresAt));
        using var client = fixture.Api.CreateClient(token);

        var me = await client.GetFromJsonAsync<JsonElement>("/api/me", Cancel);

        Assert.Equal("partner-app@clients", me.GetProperty("subject").GetString());
        Assert.Equal("partner-app", me.GetProperty("clientId").GetString());
        Assert.Equal(
            ["read:messages", "write:messages"],
            me.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(expiresAt, me.GetProperty("expiresAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Me_takes_the_client_id_from_client_id_when_there_is_no_azp()
    {
        // RFC 9068 access tokens from other servers name the client in client_id.
        using var client = fixture.Api.CreateClient(fixture.Tokens.Create(t => t.Without("azp").Claim("client_id", "other-app")));

        var me = await client.GetFromJsonAsync<JsonElement>("/api/me", Cancel);

        Assert.Equal("other-app", me.GetProperty("clientId").GetString());
        Assert.Empty(me.GetProperty("permissions").EnumerateArray());
    }

    [Fact]
    public void FastEndpoints_maps_a_route_listing_that_must_be_blocked()
    {
        // Guards the test below: without the mapping a 404 would prove nothing.
        var routes = fixture.Api.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>().Select(e => e.RoutePattern.RawText?.Trim('/'));
        Assert.Contains("_test_url_cache_", routes);
    }

    [Theory]
    [InlineData("/_test_url_cache_")]
    [InlineData("/_TEST_URL_CACHE_")]
    [InlineData("/_test_url_cache_/")]
    public async Task FastEndpoints_route_listing_answers_404(string route)
    {
        using var client = fixture.Api.CreateClient();
        using var response = await client.GetAsync(route, Cancel);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = await response.ReadProblemAsync(Cancel);
        Assert.DoesNotContain("/api/", problem.GetRawText(), StringComparison.Ordinal);
    }
}
