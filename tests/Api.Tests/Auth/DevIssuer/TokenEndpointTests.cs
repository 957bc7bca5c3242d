using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Api.Tests.Auth.DevIssuer;

public sealed class TokenEndpointTests(DevIssuerFixture fixture) : IClassFixture<DevIssuerFixture>
{
    private readonly HttpClient client = fixture.Api.CreateClient();

    public static TheoryData<string, Func<HttpRequestMessage>> AcceptedRequests => new()
    {
        { "json body, client_secret_post", () => TokenRequests.ClientCredentials("frontend", "frontend-dev-secret") },
        {
            "form body, client_secret_post",
            () => TokenRequests.Form(("grant_type", "client_credentials"), ("client_id", "frontend"), ("client_secret", "frontend-dev-secret"), ("audience", DevIssuerFixture.Audience))
        },
        { "form body, HTTP Basic", () => TokenRequests.Basic("frontend", "frontend-dev-secret", ("grant_type", "client_credentials"), ("audience", DevIssuerFixture.Audience)) },
        { "audience left out defaults to the API's", () => TokenRequests.Json(new { grant_type = "client_credentials", client_id = "frontend", client_secret = "frontend-dev-secret" }) },
    };

    [Theory]
    [MemberData(nameof(AcceptedRequests))]
    public async Task Valid_client_credentials_get_a_bearer_token_that_is_not_cached(string @case, Func<HttpRequestMessage> request)
    {
        using var response = await client.SendAsync(request(), TestContext.Current.CancellationToken);

        Assert.True(response.StatusCode == HttpStatusCode.OK, @case);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.Equal(86400, body.GetProperty("expires_in").GetInt32());
        Assert.Equal("read:messages", body.GetProperty("scope").GetString());
        Assert.Equal(3, body.GetProperty("access_token").GetString()!.Split('.').Length);
    }

    public static TheoryData<string, Func<HttpRequestMessage>, HttpStatusCode, string> RefusedRequests => new()
    {
        {
            "grant_type missing",
            () => TokenRequests.Json(new { client_id = "frontend", client_secret = "frontend-dev-secret" }),
            HttpStatusCode.BadRequest, "invalid_request"
        },
        {
            "password grant",
            () => TokenRequests.Json(new { grant_type = "password", client_id = "frontend", client_secret = "frontend-dev-secret" }),
            HttpStatusCode.BadRequest, "unsupported_grant_type"
        },
        {
            "wrong secret in the body",
            () => TokenRequests.ClientCredentials("frontend", "wrong"),
            HttpStatusCode.Unauthorized, "invalid_client"
        },
        {
            "unknown client",
            () => TokenRequests.ClientCredentials("stranger", "frontend-dev-secret"),
            HttpStatusCode.Unauthorized, "invalid_client"
        },
        {
            "no client authentication",
            () => TokenRequests.Json(new { grant_type = "client_credentials" }),
            HttpStatusCode.Unauthorized, "invalid_client"
        },
        {
            "Basic and a body secret at once",
            () => TokenRequests.Basic("frontend", "frontend-dev-secret", ("grant_type", "client_credentials"), ("client_secret", "frontend-dev-secret")),
            HttpStatusCode.BadRequest, "invalid_request"
        },
        {
            "an audience that is not this API",
            () => TokenRequests.Json(new { grant_type = "client_credentials", client_id = "frontend", client_secret = "frontend-dev-secret", audience = "https://other-api.example.com" }),
            HttpStatusCode.Forbidden, "access_denied"
        },
        {
            "a body that is neither JSON nor a form",
            () => new HttpRequestMessage(HttpMethod.Post, "/oauth/token") { Content = new StringContent("grant_type=client_credentials") },
            HttpStatusCode.BadRequest, "invalid_request"
        },
        {
            "broken JSON",
            () => new HttpRequestMessage(HttpMethod.Post, "/oauth/token") { Content = new StringContent("{\"grant_type\":", System.Text.Encoding.UTF8, "application/json") },
            HttpStatusCode.BadRequest, "invalid_request"
        },
    };

    [Theory]
    [MemberData(nameof(RefusedRequests))]
    public async Task Bad_requests_get_an_RFC_6749_error(string @case, Func<HttpRequestMessage> request, HttpStatusCode status, string error)
    {
        using var response = await client.SendAsync(request(), TestContext.Current.CancellationToken);

        Assert.True(status == response.StatusCode, $"{@case}: expected {status}, got {response.StatusCode}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal(error, body.GetProperty("error").GetString());
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("error_description").GetString()));
        Assert.Empty(response.Headers.WwwAuthenticate);
    }

    [Fact]
    public async Task A_failed_Basic_authentication_is_challenged_with_Basic()
    {
        using var response = await client.SendAsync(
            TokenRequests.Basic("frontend", "wrong", ("grant_type", "client_credentials")), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Basic", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_client_without_permissions_gets_a_token_without_scope()
    {
        using var response = await client.SendAsync(TokenRequests.ClientCredentials("partner", "partner-dev-secret"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.False(body.TryGetProperty("scope", out _));
    }
}
