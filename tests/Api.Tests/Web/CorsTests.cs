using System.Net;
using Api.Tests.TestKit;

namespace Api.Tests.Web;

/// <summary>
/// A browser frontend named in <c>Cors:AllowedOrigins</c> can call the API with a bearer token,
/// and can read why it was refused; no other origin can, and none is allowed by default.
/// </summary>
public sealed class CorsTests(CorsTests.AllowedOriginApi cors, ApiFixture fixture) : IClassFixture<CorsTests.AllowedOriginApi>
{
    public const string AllowedOrigin = "https://app.example.test";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Preflight_from_the_allowed_origin_allows_GET_with_an_Authorization_header()
    {
        using var response = await PreflightAsync(cors.Api, AllowedOrigin);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(AllowedOrigin, Header(response, "Access-Control-Allow-Origin"));
        Assert.Contains("GET", Header(response, "Access-Control-Allow-Methods")!.Split(',', StringSplitOptions.TrimEntries));
        Assert.Contains("authorization", Header(response, "Access-Control-Allow-Headers")!.ToLowerInvariant().Split(',', StringSplitOptions.TrimEntries));
    }

    [Theory]
    [InlineData("/api/public", null, HttpStatusCode.OK)]
    [InlineData("/api/private", null, HttpStatusCode.Unauthorized)]
    [InlineData("/api/private-scoped", "no-permission token", HttpStatusCode.Forbidden)]
    public async Task Answers_to_the_allowed_origin_carry_CORS_headers_and_expose_WWW_Authenticate(string route, string? token, HttpStatusCode status)
    {
        using var response = await GetAsync(cors.Api, route, AllowedOrigin, token is null ? null : cors.Api.Tokens.Create());

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(AllowedOrigin, Header(response, "Access-Control-Allow-Origin"));
        var exposed = Header(response, "Access-Control-Expose-Headers")!.ToLowerInvariant().Split(',', StringSplitOptions.TrimEntries);
        Assert.Contains("www-authenticate", exposed);
    }

    [Fact]
    public async Task Unlisted_origin_gets_no_CORS_headers()
    {
        const string Unlisted = "https://evil.example.test";

        using var preflight = await PreflightAsync(cors.Api, Unlisted);
        using var refusal = await GetAsync(cors.Api, "/api/private", Unlisted, token: null);

        AssertNoCorsHeaders(preflight);
        AssertNoCorsHeaders(refusal);
    }

    [Fact]
    public async Task By_default_no_origin_is_allowed()
    {
        using var preflight = await PreflightAsync(fixture.Api, AllowedOrigin);
        using var answer = await GetAsync(fixture.Api, "/api/public", AllowedOrigin, token: null);

        AssertNoCorsHeaders(preflight);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        AssertNoCorsHeaders(answer);
    }

    private static void AssertNoCorsHeaders(HttpResponseMessage response) =>
        Assert.DoesNotContain(response.Headers, h => h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase));

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    private static async Task<HttpResponseMessage> PreflightAsync(ApiFactory api, string origin)
    {
        using var client = api.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Options, "/api/private");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "GET");
        request.Headers.Add("Access-Control-Request-Headers", "authorization");
        return await client.SendAsync(request, Cancel);
    }

    private static async Task<HttpResponseMessage> GetAsync(ApiFactory api, string route, string origin, string? token)
    {
        using var client = token is null ? api.CreateClient() : api.CreateClient(token);
        using var request = new HttpRequestMessage(HttpMethod.Get, route);
        request.Headers.Add("Origin", origin);
        return await client.SendAsync(request, Cancel);
    }

    /// <summary>An API whose <c>Cors:AllowedOrigins</c> names <see cref="AllowedOrigin"/>, shared by the class.</summary>
    public sealed class AllowedOriginApi(ApiFixture fixture) : IAsyncLifetime
    {
        public ApiFactory Api { get; private set; } = null!;

        public async ValueTask InitializeAsync() =>
            Api = await fixture.StartApiAsync(new Dictionary<string, string?> { ["Cors:AllowedOrigins:0"] = AllowedOrigin });

        public ValueTask DisposeAsync() => Api.DisposeAsync();
    }
}
