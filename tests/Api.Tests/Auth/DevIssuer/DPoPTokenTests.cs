using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Api.Tests.TestKit;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Api.Tests.Auth.DevIssuer;

/// <summary>
/// The dev issuer's token endpoint with DPoP (RFC 9449 §5): a token request with a valid proof
/// gets a token bound to the proof's key; a bad proof gets an RFC 6749 error, as from Auth0.
/// </summary>
public sealed class DPoPTokenTests(DevIssuerFixture fixture) : IClassFixture<DevIssuerFixture>
{
    private readonly HttpClient client = fixture.Api.CreateClient();

    private string TokenEndpoint => new Uri(fixture.Api.BaseAddress, "/oauth/token").AbsoluteUri;

    [Theory]
    [InlineData("ES256")]
    [InlineData("PS256")]
    [InlineData("RS256")]
    public async Task A_token_request_with_a_valid_proof_gets_a_DPoP_token_bound_to_the_proof_key(string alg)
    {
        using var key = alg.StartsWith("ES", StringComparison.Ordinal) ? DPoPKey.CreateEcdsa(alg) : DPoPKey.CreateRsa(alg);

        using var response = await RequestTokenAsync(key.Proof("POST", TokenEndpoint).Build());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal("DPoP", body.GetProperty("token_type").GetString());
        var token = new JsonWebToken(body.GetProperty("access_token").GetString());
        Assert.Equal(key.Thumbprint, ConfirmationOf(token).GetProperty("jkt").GetString());
        Assert.Equal("frontend@clients", token.Subject);
        Assert.Equal("read:messages", token.GetClaim("scope").Value);
    }

    [Fact]
    public async Task Without_a_proof_the_token_is_a_bearer_token_bound_to_nothing()
    {
        using var response = await client.SendAsync(TokenRequests.ClientCredentials("frontend", "frontend-dev-secret"), TestContext.Current.CancellationToken);

        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.False(new JsonWebToken(body.GetProperty("access_token").GetString()).TryGetClaim("cnf", out _));
    }

    public static TheoryData<string, Func<DPoPKey, string, string>> InvalidProofs => new()
    {
        { "made for GET", (key, url) => key.Proof("GET", url).Build() },
        { "made for another URL", (key, url) => key.Proof("POST", url.Replace("/oauth/token", "/api/private", StringComparison.Ordinal)).Build() },
        { "carrying its private key", (key, url) => key.Proof("POST", url).HeaderClaim("jwk", key.PrivateJwk()).Build() },
        { "made 10 minutes ago", (key, url) => key.Proof("POST", url, at: RealClock.Now.AddMinutes(-10)).Build() },
        { "typ JWT", (key, url) => key.Proof("POST", url).HeaderClaim("typ", "JWT").Build() },
        { "signature broken", (key, url) => key.Proof("POST", url).Build().WithBrokenSignature() },
        { "not a JWS", (_, _) => "not-a-proof" },
        { "empty", (_, _) => "" },
    };

    [Theory]
    [MemberData(nameof(InvalidProofs))]
    public async Task A_token_request_with_an_invalid_proof_gets_400_invalid_dpop_proof(string @case, Func<DPoPKey, string, string> makeProof)
    {
        using var key = DPoPKey.CreateEcdsa();
        var proof = makeProof(key, TokenEndpoint);

        using var response = await RequestTokenAsync(proof);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{@case}: {response.StatusCode}");
        await AssertTokenErrorAsync(response, "invalid_dpop_proof", proof);
    }

    [Fact]
    public async Task A_proof_is_good_for_one_token_request_only()
    {
        using var key = DPoPKey.CreateEcdsa();
        var proof = key.Proof("POST", TokenEndpoint).Build();

        using var first = await RequestTokenAsync(proof);
        using var replay = await RequestTokenAsync(proof);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        var description = await AssertTokenErrorAsync(replay, "invalid_dpop_proof", proof);
        Assert.Contains("used before", description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_DPoP_headers_get_400_invalid_dpop_proof()
    {
        using var key = DPoPKey.CreateEcdsa();
        var body = JsonSerializer.Serialize(new { grant_type = "client_credentials", client_id = "frontend", client_secret = "frontend-dev-secret" });
        var request = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1:{fixture.Api.Port}\r\n")
            .Append("Content-Type: application/json\r\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\n")
            .Append(CultureInfo.InvariantCulture, $"DPoP: {key.Proof("POST", TokenEndpoint).Build()}\r\n")
            .Append(CultureInfo.InvariantCulture, $"DPoP: {key.Proof("POST", TokenEndpoint).Build()}\r\n")
            .Append("Connection: close\r\n\r\n")
            .Append(body)
            .ToString();

        var response = await RawHttp.SendAsync(fixture.Api.Port, request);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        using var error = JsonDocument.Parse(response.Body);
        Assert.Equal("invalid_dpop_proof", error.RootElement.GetProperty("error").GetString());
        Assert.Contains("more than one DPoP header", error.RootElement.GetProperty("error_description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unauthenticated_client_is_refused_before_its_proof_is_looked_at()
    {
        using var key = DPoPKey.CreateEcdsa();
        var proof = key.Proof("POST", TokenEndpoint).Build();
        using var stranger = TokenRequests.ClientCredentials("frontend", "wrong-secret");
        stranger.Headers.Add("DPoP", proof);

        using var refused = await client.SendAsync(stranger, TestContext.Current.CancellationToken);
        using var sameProofAfterwards = await RequestTokenAsync(proof);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, sameProofAfterwards.StatusCode); // not spent by the refused request
    }

    [Fact]
    public async Task Discovery_lists_the_accepted_proof_algorithms()
    {
        var discovery = await client.GetFromJsonAsync<JsonElement>("/.well-known/openid-configuration", TestContext.Current.CancellationToken);

        Assert.Equal(
            ["ES256", "ES384", "PS256", "RS256"],
            discovery.GetProperty("dpop_signing_alg_values_supported").EnumerateArray().Select(a => a.GetString()));
    }

    [Fact]
    public async Task With_nonces_required_the_first_request_is_handed_a_nonce_and_the_retry_with_it_gets_the_token()
    {
        var keyDirectory = Directory.CreateTempSubdirectory("dev-issuer-nonce-").FullName;
        try
        {
            await using var api = DevIssuerFixture.StartApi(Path.Combine(keyDirectory, "signing-key.pem"), environment: new Dictionary<string, string?>
            {
                ["Auth0__DPoP__RequireNonce"] = "true",
                ["Auth0__DPoP__NonceKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            });
            await api.WaitUntilReadyAsync();
            using var nonceClient = api.CreateClient();
            using var key = DPoPKey.CreateEcdsa();
            var endpoint = new Uri(api.BaseAddress, "/oauth/token").AbsoluteUri;

            using var first = await RequestTokenAsync(key.Proof("POST", endpoint).Build(), nonceClient);
            var nonce = Assert.Single(first.Headers.GetValues("DPoP-Nonce"));
            using var retry = await RequestTokenAsync(key.Proof("POST", endpoint).Claim("nonce", nonce).Build(), nonceClient);

            Assert.Equal(HttpStatusCode.BadRequest, first.StatusCode);
            await AssertTokenErrorAsync(first, "use_dpop_nonce", proof: null);
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
            var body = await retry.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
            Assert.Equal("DPoP", body.GetProperty("token_type").GetString());
        }
        finally
        {
            Directory.Delete(keyDirectory, recursive: true);
        }
    }

    private async Task<HttpResponseMessage> RequestTokenAsync(string proof, HttpClient? via = null)
    {
        var request = TokenRequests.ClientCredentials("frontend", "frontend-dev-secret");
        Assert.True(request.Headers.TryAddWithoutValidation("DPoP", proof));
        return await (via ?? client).SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>An RFC 6749 §5.2 answer, not to be cached, whose description never repeats the proof; returns the description.</summary>
    private static async Task<string> AssertTokenErrorAsync(HttpResponseMessage response, string error, string? proof)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal(error, body.GetProperty("error").GetString());
        var description = body.GetProperty("error_description").GetString();
        Assert.False(string.IsNullOrWhiteSpace(description));
        foreach (var part in (proof ?? string.Empty).Split('.').Where(p => p.Length >= 8))
        {
            Assert.DoesNotContain(part, description, StringComparison.Ordinal);
        }

        return description!;
    }

    private static JsonElement ConfirmationOf(JsonWebToken token)
    {
        Assert.True(token.TryGetPayloadValue<JsonElement>("cnf", out var cnf), "The token has no cnf claim.");
        return cnf;
    }
}
