using System.Net;
using Api.Tests.TestKit;

namespace Api.Tests.Auth;

/// <summary>
/// SPEC §6's token rules from the accepting side: what a valid token may look like, and the
/// 30 s clock skew on both ends of its lifetime.
/// </summary>
public sealed class TokenRulesTests(ApiFixture fixture)
{
    private static readonly string[] Routes = ["/api/private", "/api/private-scoped", "/api/me"];

    private static readonly string[] UnknownExtensions = ["urn:example:ext"];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(-10, HttpStatusCode.OK)]
    [InlineData(-25, HttpStatusCode.OK)]
    [InlineData(-40, HttpStatusCode.Unauthorized)]
    public async Task Expiry_is_checked_with_a_30_second_clock_skew(int expiredSecondsAgo, HttpStatusCode expected)
    {
        var token = fixture.Tokens.Create(t => t.ExpiresAt(DateTimeOffset.UtcNow.AddSeconds(expiredSecondsAgo)));

        Assert.Equal(expected, await StatusForAsync(token));
    }

    [Theory]
    [InlineData(10, HttpStatusCode.OK)]
    [InlineData(25, HttpStatusCode.OK)]
    [InlineData(40, HttpStatusCode.Unauthorized)]
    public async Task Not_before_is_checked_with_a_30_second_clock_skew(int validInSeconds, HttpStatusCode expected)
    {
        var token = fixture.Tokens.Create(t => t.NotBefore(DateTimeOffset.UtcNow.AddSeconds(validInSeconds)));

        Assert.Equal(expected, await StatusForAsync(token));
    }

    [Fact]
    public async Task Token_whose_audience_array_contains_the_API_is_accepted()
    {
        // Auth0 user tokens carry the API and the userinfo endpoint in aud.
        var token = fixture.Tokens.Create(t => t.Claim("aud", new[] { ApiFactory.Audience, $"{fixture.Issuer.Issuer}userinfo" }));

        Assert.Equal(HttpStatusCode.OK, await StatusForAsync(token));
    }

    [Fact]
    public async Task Token_typed_at_jwt_is_accepted()
    {
        // RFC 9068 access tokens say typ "at+jwt"; Auth0 says "JWT". Both are access tokens.
        var token = fixture.Tokens.Create(t => t.HeaderClaim("typ", "at+jwt"));

        Assert.Equal(HttpStatusCode.OK, await StatusForAsync(token));
    }

    [Theory]
    [InlineData("bearer")]
    [InlineData("BEARER")]
    public async Task Scheme_name_is_case_insensitive(string scheme)
    {
        // RFC 9110 §11.1: authentication scheme names are case-insensitive.
        using var client = fixture.Api.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/private");
        request.Headers.TryAddWithoutValidation("Authorization", $"{scheme} {fixture.Tokens.Create()}");
        using var response = await client.SendAsync(request, Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task No_log_line_at_any_level_contains_a_token()
    {
        await using var api = await fixture.StartApiAsync(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
            ["Logging:Console:LogLevel:Default"] = "None",
        });
        string[] tokens =
        [
            api.Tokens.Create(),
            api.Tokens.Create(t => t.ExpiresAt(DateTimeOffset.UtcNow.AddHours(-1))),
            api.Tokens.Create(t => t.Claim("aud", "https://other-api.example.test")),
            api.Tokens.Create(t => t.Claim("iss", "https://evil.example.test/")),
            api.Tokens.Create(t => t.Header.Remove("kid")),
            api.Tokens.Create(t => t.HeaderClaim("alg", "none")),
            api.Tokens.Create(t => t.HeaderClaim("crit", UnknownExtensions)),
            api.Tokens.Create().Replace('.', '!'),
        ];
        foreach (var token in tokens)
        {
            foreach (var route in Routes)
            {
                using var client = api.CreateClient();
                using var request = new HttpRequestMessage(HttpMethod.Get, route);
                request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {token}");
                using var response = await client.SendAsync(request, Cancel);
            }
        }

        var logged = api.Logs.All.Select(l => l.ToString()).ToList();
        Assert.Contains(logged, l => l.Contains("Request refused with 401 (expired)", StringComparison.Ordinal));
        foreach (var part in tokens.SelectMany(t => t.Split('.', '!')).Where(p => p.Length >= 20).Distinct())
        {
            Assert.DoesNotContain(logged, l => l.Contains(part, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_token_sent_in_the_query_string_never_reaches_the_logs()
    {
        await using var api = await fixture.StartApiAsync(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
            ["Logging:Console:LogLevel:Default"] = "None",
        });
        var token = api.Tokens.Create();
        using var client = api.CreateClient();
        using var response = await client.GetAsync($"/api/private?access_token={token}", Cancel);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain(api.Logs.All, l => l.ToString().Contains(token.Split('.')[2], StringComparison.Ordinal));
    }

    private async Task<HttpStatusCode> StatusForAsync(string token)
    {
        using var client = fixture.Api.CreateClient(token);
        using var response = await client.GetAsync("/api/private", Cancel);
        return response.StatusCode;
    }
}
