using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Api.Tests.TestKit;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Api.Tests.Auth.DevIssuer;

public sealed class IssuedTokenTests(DevIssuerFixture fixture) : IClassFixture<DevIssuerFixture>
{
    private readonly HttpClient client = fixture.Api.CreateClient();

    [Fact]
    public async Task Tokens_look_like_Auth0_machine_to_machine_tokens()
    {
        var requested = RealClock.NowInWholeSeconds; // iat is in whole seconds
        var token = new JsonWebToken(await TokenRequests.GetTokenAsync(client, "frontend", "frontend-dev-secret"));
        var answered = RealClock.Now;
        var jwks = await client.GetFromJsonAsync<JsonElement>("/.well-known/jwks.json", TestContext.Current.CancellationToken);

        Assert.Equal("RS256", token.Alg);
        Assert.Equal(jwks.GetProperty("keys")[0].GetProperty("kid").GetString(), token.Kid);
        Assert.Equal(fixture.Api.BaseAddress.AbsoluteUri, token.Issuer);
        Assert.Equal("frontend@clients", token.Subject);
        Assert.Equal([DevIssuerFixture.Audience], token.Audiences);
        Assert.Equal("frontend", token.GetClaim("azp").Value);
        Assert.Equal("client-credentials", token.GetClaim("gty").Value);
        Assert.Equal("read:messages", token.GetClaim("scope").Value);
        Assert.Equal(["read:messages"], token.Claims.Where(c => c.Type == "permissions").Select(c => c.Value));
        Assert.Equal(TimeSpan.FromHours(24), token.ValidTo - token.IssuedAt);
        Assert.InRange(token.IssuedAt, requested.UtcDateTime, answered.UtcDateTime); // minted now, by this machine's clock
    }

    [Fact]
    public async Task Discovery_and_JWKS_publish_the_public_key_only()
    {
        var discovery = await client.GetFromJsonAsync<JsonElement>("/.well-known/openid-configuration", TestContext.Current.CancellationToken);
        var issuer = fixture.Api.BaseAddress.AbsoluteUri;
        Assert.Equal(issuer, discovery.GetProperty("issuer").GetString());
        Assert.Equal($"{issuer}.well-known/jwks.json", discovery.GetProperty("jwks_uri").GetString());
        Assert.Equal($"{issuer}oauth/token", discovery.GetProperty("token_endpoint").GetString());

        var key = Assert.Single((await client.GetFromJsonAsync<JsonElement>("/.well-known/jwks.json", TestContext.Current.CancellationToken)).GetProperty("keys").EnumerateArray());
        Assert.Equal("RSA", key.GetProperty("kty").GetString());
        Assert.Equal(256, Convert.FromBase64String(Base64(key.GetProperty("n").GetString()!)).Length);
        foreach (var privatePart in new[] { "d", "p", "q", "dp", "dq", "qi" })
        {
            Assert.False(key.TryGetProperty(privatePart, out _), $"JWKS leaks '{privatePart}'");
        }
    }

    [Fact]
    public async Task Frontend_token_reads_the_scoped_message_and_partner_token_gets_403()
    {
        using var frontend = await CallScopedAsync(await TokenRequests.GetTokenAsync(client, "frontend", "frontend-dev-secret"));
        Assert.Equal(HttpStatusCode.OK, frontend.StatusCode);
        var message = await frontend.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Contains("read:messages", message.GetProperty("message").GetString(), StringComparison.Ordinal);

        using var partner = await CallScopedAsync(await TokenRequests.GetTokenAsync(client, "partner", "partner-dev-secret"));
        Assert.Equal(HttpStatusCode.Forbidden, partner.StatusCode);
        var challenge = Assert.Single(partner.Headers.WwwAuthenticate);
        Assert.Contains("error=\"insufficient_scope\"", challenge.Parameter, StringComparison.Ordinal);
        Assert.Contains("scope=\"read:messages\"", challenge.Parameter, StringComparison.Ordinal);
    }

    [Fact]
    public void The_start_up_warning_says_once_that_the_dev_issuer_is_on()
    {
        var warnings = fixture.Api.Output.Split('\n').Count(line => line.Contains("Dev issuer is ON", StringComparison.Ordinal));
        Assert.Equal(1, warnings);
    }

    private Task<HttpResponseMessage> CallScopedAsync(string token) => client.GetWithBearerAsync("/api/private-scoped", token);

    private static string Base64(string base64Url)
    {
        var padded = base64Url.Replace('-', '+').Replace('_', '/');
        return padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '=');
    }
}
