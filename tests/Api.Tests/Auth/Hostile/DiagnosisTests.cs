using System.Text.Json;
using Api.Tests.TestKit;
using Microsoft.IdentityModel.Tokens;

namespace Api.Tests.Auth.Hostile;

/// <summary>
/// The mistakes Auth0 users make most, each named in <c>error_description</c> (and the problem's
/// <c>detail</c>) so the caller knows what to change, and in the refusal's log line so the API's
/// owner sees the same.
/// </summary>
public sealed class DiagnosisTests(HostileWorld world) : IClassFixture<HostileWorld>
{
    private const string Route = "/api/private";

    private static readonly string RequestWithAudience = $"audience={ApiFactory.Audience}";

    [Fact]
    public async Task Encrypted_token_is_told_to_request_the_token_with_the_API_audience()
    {
        // What Auth0 hands out when the token request names no audience: a JWE, five parts.
        var jwe = Base64UrlEncoder.Encode("""{"alg":"dir","enc":"A256GCM","iss":"https://tenant.example.test/"}""")
            + "..MTIzNDU2Nzg5MDEy.Y2lwaGVydGV4dF9vZl90aGVfdG9rZW4.dGFnMTIzNDU2Nzg5MDEyMw";

        var (reason, description) = await DiagnoseAsync(world.Api, jwe);

        Assert.Equal("encrypted_token", reason);
        Assert.Contains("encrypted (JWE, five parts)", description, StringComparison.Ordinal);
        Assert.Contains($"Request it with {RequestWithAudience}.", description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Opaque_token_is_told_to_request_the_token_with_the_API_audience()
    {
        var (reason, description) = await DiagnoseAsync(world.Api, "Zq3w9vLx8Hk2mN4pR7sT1uV6yB0cD5eF");

        Assert.Equal("malformed_token", reason);
        Assert.Contains("not a JWT (no dots)", description, StringComparison.Ordinal);
        Assert.Contains("opaque token", description, StringComparison.Ordinal);
        Assert.Contains($"request it with {RequestWithAudience}.", description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ID_token_sent_as_an_access_token_is_named_and_its_client_logged()
    {
        // An Auth0 ID token: audience is the application's client id, nonce, no scope, no gty.
        var idToken = world.Tokens.Create(t => t
            .Claim("aud", "spa-client-id").Claim("sub", "auth0|64d2f0c1").Claim("nonce", "n-0S6_WzA2Mj")
            .Claim("name", "Jane Doe").Without("azp").Without("gty"));

        var (reason, description, line) = await DiagnoseWithLogAsync(world.Api, idToken);

        Assert.Equal("id_token", reason);
        Assert.Equal(
            $"This is an ID token (its audience is the client 'spa-client-id'), not an access token: send the access token, requested with {RequestWithAudience}.",
            description);
        Assert.Equal("spa-client-id", line["ClientId"]);
    }

    [Fact]
    public async Task Token_whose_issuer_lacks_the_trailing_slash_is_told_so()
    {
        var expected = world.Issuer.Issuer;
        var token = world.Tokens.Create(t => t.Claim("iss", expected.TrimEnd('/')));

        var (reason, description) = await DiagnoseAsync(world.Api, token);

        Assert.Equal("bad_issuer", reason);
        Assert.Equal(
            $"The token's issuer '{expected.TrimEnd('/')}' lacks the trailing slash of the expected '{expected}': Auth0 issuers end with '/', so check which issuer minted this token.",
            description);
    }

    [Fact]
    public async Task API_configured_with_an_issuer_without_the_trailing_slash_is_told_which_setting_to_fix()
    {
        // The usual form of the mistake: Auth0__Issuer typed as https://tenant.auth0.com.
        var configured = world.Issuer.Issuer.TrimEnd('/');
        await using var api = await ApiFactory.StartAsync(world.Issuer, new Dictionary<string, string?> { ["Auth0:Issuer"] = configured });

        var (reason, description) = await DiagnoseAsync(api, api.Tokens.Create());

        Assert.Equal("bad_issuer", reason);
        Assert.Equal(
            $"The token's issuer '{world.Issuer.Issuer}' differs from the expected '{configured}' only by the trailing slash: Auth0 issuers end with '/'. Set Auth0:Issuer to '{world.Issuer.Issuer}', or leave it unset to take the issuer from the discovery document.",
            description);
    }

    [Fact]
    public async Task Token_from_a_custom_domain_while_the_API_trusts_the_tenant_domain_is_told_to_set_the_domain()
    {
        // Same tenant, same keys: only the domain the token was requested from differs.
        var token = world.Tokens.Create(t => t.Claim("iss", "https://login.example.com/"));

        var (reason, description) = await DiagnoseAsync(world.Api, token);

        Assert.Equal("bad_issuer", reason);
        Assert.Equal(
            $"The token was issued by 'https://login.example.com/' but this API trusts '{world.Issuer.Issuer}' (tenant domain vs custom domain?); set Auth0:Domain to the domain your clients get their tokens from.",
            description);
    }

    [Fact]
    public async Task Token_for_another_API_is_told_its_audience_and_the_one_to_request()
    {
        var token = world.Tokens.Create(t => t.Claim("aud", "https://billing.example.test"));

        var (reason, description) = await DiagnoseAsync(world.Api, token);

        Assert.Equal("bad_audience", reason);
        Assert.Equal($"The token is for another API (audience https://billing.example.test); request it with {RequestWithAudience}.", description);
    }

    [Fact]
    public async Task Token_without_an_audience_is_told_the_one_to_request()
    {
        var (reason, description) = await DiagnoseAsync(world.Api, world.Tokens.Create(t => t.Without("aud")));

        Assert.Equal("bad_audience", reason);
        Assert.Equal($"The token has no audience for this API; request it with {RequestWithAudience}.", description);
    }

    [Fact]
    public async Task Expired_token_is_told_when_it_expired()
    {
        var expiredAt = DateTimeOffset.UtcNow.AddMinutes(-5);

        var (reason, description) = await DiagnoseAsync(world.Api, world.Tokens.Create(t => t.ExpiresAt(expiredAt)));

        Assert.Equal("expired", reason);
        Assert.Equal($"The token expired at {expiredAt:yyyy-MM-dd'T'HH:mm:ss'Z'}; get a new one.", description);
    }

    [Fact]
    public async Task Token_not_valid_yet_is_told_from_when_and_to_check_the_clocks()
    {
        var notBefore = DateTimeOffset.UtcNow.AddMinutes(5);

        var (reason, description) = await DiagnoseAsync(world.Api, world.Tokens.Create(t => t.NotBefore(notBefore)));

        Assert.Equal("not_yet_valid", reason);
        Assert.Equal($"The token is not valid before {notBefore:yyyy-MM-dd'T'HH:mm:ss'Z'}; check the clocks.", description);
    }

    private static async Task<(string? Reason, string Description)> DiagnoseAsync(ApiFactory api, string token)
    {
        var (reason, description, _) = await DiagnoseWithLogAsync(api, token);
        return (reason, description);
    }

    /// <summary>
    /// The reason and description the caller is given; asserts the challenge, the problem body and
    /// the one log line of the refusal all say the same.
    /// </summary>
    private static async Task<(string? Reason, string Description, LogLine Line)> DiagnoseWithLogAsync(ApiFactory api, string token)
    {
        var (response, logged) = await api.SendAndLogAsync(Route, $"Bearer {token}");
        using (response)
        {
            JsonElement problem = await Refusals.AssertInvalidTokenAsync(response);
            var description = WwwAuthenticate.From(response).ErrorDescription!;
            var reason = problem.StringOf("reason");

            var line = Assert.Single(logged);
            Assert.Equal(reason, line["Reason"]);
            Assert.Equal(description, line["Description"]);
            return (reason, description, line);
        }
    }
}
