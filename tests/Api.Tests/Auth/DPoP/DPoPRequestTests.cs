using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Api.Tests.TestKit;
using Microsoft.Extensions.Logging;

namespace Api.Tests.Auth.DPoP;

/// <summary>
/// DPoP at the API (README, "DPoP"; RFC 9449 §7): a bound token with a fresh proof of its key
/// gets in, every rule's refusal is answered with the right scheme, error and reason, and a
/// bound token is never a bearer token.
/// </summary>
public sealed class DPoPRequestTests(ApiFixture fixture)
{
    private const string Algs = "ES256 ES384 PS256 RS256";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/api/private")]
    [InlineData("/api/private-bound")]
    public async Task A_bound_token_with_a_fresh_proof_of_its_key_gets_200(string path)
    {
        using var key = DPoPKey.CreateEcdsa();
        var token = BoundToken(fixture.Tokens, key);

        using var response = await SendAsync(fixture.Api, path, token, key);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Every_request_needs_a_proof_of_its_own_even_for_a_remembered_token_and_a_replayed_one_is_refused()
    {
        using var key = DPoPKey.CreateEcdsa();
        var token = BoundToken(fixture.Tokens, key);
        using var client = fixture.Api.CreateClient();
        var proof = Proof(client, key, "GET", "/api/private", token);

        using var first = await SendAsync(client, "/api/private", $"DPoP {token}", proof);
        using var again = await SendAsync(client, "/api/private", $"DPoP {token}", proof);
        using var fresh = await SendAsync(client, "/api/private", $"DPoP {token}", Proof(client, key, "GET", "/api/private", token));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await AssertRefusedAsync(again, "DPoP", "invalid_dpop_proof", "dpop_replayed");
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
    }

    [Fact]
    public async Task A_remembered_token_still_takes_only_proofs_made_for_it()
    {
        // The ath a bound token's proofs must carry is worked out once and remembered with the
        // token: a proof made for another token of the same key must still be refused.
        using var key = DPoPKey.CreateEcdsa();
        var token = BoundToken(fixture.Tokens, key);
        var sibling = fixture.Tokens.Create(t => t.Claim("cnf", new Dictionary<string, object?> { ["jkt"] = key.Thumbprint }).Claim("sub", "sibling"));
        Assert.NotEqual(token, sibling);
        using var client = fixture.Api.CreateClient();

        using var first = await SendAsync(client, "/api/private", $"DPoP {token}", Proof(client, key, "GET", "/api/private", token));
        using var siblingFirst = await SendAsync(client, "/api/private", $"DPoP {sibling}", Proof(client, key, "GET", "/api/private", sibling));
        using var proofForSibling = await SendAsync(client, "/api/private", $"DPoP {token}", Proof(client, key, "GET", "/api/private", sibling));
        using var proofForToken = await SendAsync(client, "/api/private", $"DPoP {sibling}", Proof(client, key, "GET", "/api/private", token));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, siblingFirst.StatusCode));
        await AssertRefusedAsync(proofForSibling, "DPoP", "invalid_dpop_proof", "dpop_ath_mismatch");
        await AssertRefusedAsync(proofForToken, "DPoP", "invalid_dpop_proof", "dpop_ath_mismatch");
    }

    [Fact]
    public async Task A_bound_token_sent_as_a_bearer_token_is_refused_even_once_it_was_remembered()
    {
        using var key = DPoPKey.CreateEcdsa();
        var token = BoundToken(fixture.Tokens, key);
        using var client = fixture.Api.CreateClient();
        using var withProof = await SendAsync(client, "/api/private", $"DPoP {token}", Proof(client, key, "GET", "/api/private", token));

        using var asBearer = await SendAsync(client, "/api/private", $"Bearer {token}", proof: null);

        Assert.Equal(HttpStatusCode.OK, withProof.StatusCode);
        await AssertRefusedAsync(asBearer, "Bearer", "invalid_token", "dpop_bound_token_as_bearer");
    }

    [Fact]
    public async Task A_bearer_token_sent_with_the_DPoP_scheme_is_refused_as_not_bound()
    {
        using var key = DPoPKey.CreateEcdsa();
        var token = fixture.Tokens.Create();

        using var response = await SendAsync(fixture.Api, "/api/private", token, key);

        await AssertRefusedAsync(response, "DPoP", "invalid_token", "dpop_token_not_bound");
    }

    [Fact]
    public async Task A_proof_by_another_key_than_the_token_is_bound_to_is_refused_as_invalid_token()
    {
        using var bound = DPoPKey.CreateEcdsa();
        using var other = DPoPKey.CreateEcdsa();
        var token = BoundToken(fixture.Tokens, bound);

        using var response = await SendAsync(fixture.Api, "/api/private", token, other);

        await AssertRefusedAsync(response, "DPoP", "invalid_token", "dpop_key_mismatch");
    }

    [Theory]
    [InlineData("ES256")]
    [InlineData("PS256")]
    public async Task A_proof_key_already_seen_still_checks_every_signature_against_itself(string alg)
    {
        // The API keeps imported proof keys for the next proof (ProofKeys): a later proof that
        // carries the same jwk but was signed by another key must still fail its signature.
        using var key = alg.StartsWith("ES", StringComparison.Ordinal) ? DPoPKey.CreateEcdsa(alg) : DPoPKey.CreateRsa(alg);
        using var impostor = alg.StartsWith("ES", StringComparison.Ordinal) ? DPoPKey.CreateEcdsa(alg) : DPoPKey.CreateRsa(alg);
        var token = BoundToken(fixture.Tokens, key);
        using var client = fixture.Api.CreateClient();

        var url = new Uri(client.BaseAddress!, "/api/private").AbsoluteUri;
        var forged = key.Proof("GET", url, token);
        forged.Signer = impostor.Key;
        using var first = await SendAsync(client, "/api/private", $"DPoP {token}", Proof(client, key, "GET", "/api/private", token));
        using var withForgedSignature = await SendAsync(client, "/api/private", $"DPoP {token}", forged.Build());
        using var again = await SendAsync(client, "/api/private", $"DPoP {token}", Proof(client, key, "GET", "/api/private", token));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await AssertRefusedAsync(withForgedSignature, "DPoP", "invalid_dpop_proof", "dpop_bad_signature");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Theory]
    [InlineData("POST", "/api/private", "dpop_htm_mismatch")]
    [InlineData("GET", "/api/private-scoped", "dpop_htu_mismatch")]
    public async Task A_proof_made_for_another_request_is_refused(string method, string path, string reason)
    {
        using var key = DPoPKey.CreateEcdsa();
        var token = BoundToken(fixture.Tokens, key);
        using var client = fixture.Api.CreateClient();

        using var response = await SendAsync(client, "/api/private", $"DPoP {token}", Proof(client, key, method, path, token));

        await AssertRefusedAsync(response, "DPoP", "invalid_dpop_proof", reason);
    }

    [Fact]
    public async Task The_DPoP_scheme_without_a_proof_is_refused_and_two_proofs_too()
    {
        using var key = DPoPKey.CreateEcdsa();
        var token = BoundToken(fixture.Tokens, key);
        using var client = fixture.Api.CreateClient();
        var proof = Proof(client, key, "GET", "/api/private", token);

        using var none = await SendAsync(client, "/api/private", $"DPoP {token}", proof: null);
        // HttpClient folds repeated headers into one line: two DPoP lines need a raw request.
        var two = await fixture.Api.SendRawAsync(RawHttp.Get("/api/private", $"Authorization: DPoP {token}", $"DPoP: {proof}", $"DPoP: {proof}"));

        await AssertRefusedAsync(none, "DPoP", "invalid_dpop_proof", "dpop_proof_missing");
        Assert.Equal(HttpStatusCode.Unauthorized, two.Status);
        Assert.Contains("\"dpop_proof_repeated\"", two.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_valid_bound_token_without_the_permission_gets_403_with_a_DPoP_insufficient_scope_challenge()
    {
        using var key = DPoPKey.CreateEcdsa();
        var token = BoundToken(fixture.Tokens, key);

        using var response = await SendAsync(fixture.Api, "/api/private-scoped", token, key);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var challenge = WwwAuthenticate.From(response);
        Assert.Equal(("DPoP", "insufficient_scope", "read:messages", Algs), (challenge.Scheme, challenge.Error, challenge.Scope, challenge.Parameters["algs"]));
    }

    [Fact]
    public async Task Without_credentials_both_challenges_are_offered_and_a_DPoP_only_endpoint_offers_DPoP_alone()
    {
        using var client = fixture.Api.CreateClient();

        using var anyScheme = await client.GetAsync("/api/private", Cancel);
        using var dpopOnly = await client.GetAsync("/api/private-bound", Cancel);

        Assert.Equal(HttpStatusCode.Unauthorized, anyScheme.StatusCode);
        Assert.Equal(WwwAuthenticate.NoCredentials, WwwAuthenticate.RawOf(anyScheme));
        Assert.Equal(HttpStatusCode.Unauthorized, dpopOnly.StatusCode);
        Assert.Equal($"DPoP algs=\"{Algs}\"", WwwAuthenticate.From(dpopOnly).Raw);
        Assert.Equal("dpop_required", (await dpopOnly.ReadProblemAsync(Cancel)).StringOf("reason"));
    }

    [Fact]
    public async Task A_bearer_token_at_a_DPoP_only_endpoint_gets_401_with_a_bare_DPoP_challenge()
    {
        using var response = await fixture.Api.GetWithAuthorizationAsync("/api/private-bound", AuthorizationHeader.Bearer(fixture.Tokens.Create()));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal($"DPoP algs=\"{Algs}\"", WwwAuthenticate.From(response).Raw);
        Assert.Equal("dpop_required", (await response.ReadProblemAsync(Cancel)).StringOf("reason"));
    }

    [Fact]
    public async Task In_Required_mode_bearer_tokens_are_refused_everywhere_and_DPoP_ones_accepted()
    {
        await using var api = await fixture.StartApiAsync(new Dictionary<string, string?> { ["Auth0:DPoP:Mode"] = "Required" });
        using var key = DPoPKey.CreateEcdsa();

        using var bearer = await api.GetWithAuthorizationAsync("/api/private", AuthorizationHeader.Bearer(api.Tokens.Create()));
        using var dpop = await SendAsync(api, "/api/private", BoundToken(api.Tokens, key), key);

        Assert.Equal(HttpStatusCode.Unauthorized, bearer.StatusCode);
        Assert.Equal($"DPoP algs=\"{Algs}\"", WwwAuthenticate.From(bearer).Raw);
        Assert.Equal(HttpStatusCode.OK, dpop.StatusCode);
    }

    [Fact]
    public async Task In_Disabled_mode_the_DPoP_scheme_is_not_taken_and_a_bound_token_is_still_no_bearer_token()
    {
        await using var api = await fixture.StartApiAsync(new Dictionary<string, string?> { ["Auth0:DPoP:Mode"] = "Disabled" });
        using var key = DPoPKey.CreateEcdsa();
        var token = BoundToken(api.Tokens, key);

        using var dpop = await SendAsync(api, "/api/private", token, key);
        using var asBearer = await api.GetWithAuthorizationAsync("/api/private", AuthorizationHeader.Bearer(token));

        Assert.Equal(HttpStatusCode.Unauthorized, dpop.StatusCode);
        Assert.Equal("Bearer", WwwAuthenticate.From(dpop).Raw);
        await AssertRefusedAsync(asBearer, "Bearer", "invalid_token", "dpop_bound_token_as_bearer");
    }

    [Fact]
    public async Task When_nonces_are_required_the_first_proof_gets_use_dpop_nonce_with_a_nonce_and_a_proof_with_it_gets_in()
    {
        await using var api = await fixture.StartApiAsync(new Dictionary<string, string?>
        {
            ["Auth0:DPoP:RequireNonce"] = "true",
            ["Auth0:DPoP:NonceKey"] = Convert.ToBase64String(new byte[32]),
        });
        using var key = DPoPKey.CreateEcdsa();
        var token = BoundToken(api.Tokens, key);
        using var client = api.CreateClient();

        using var first = await SendAsync(client, "/api/private", $"DPoP {token}", Proof(client, key, "GET", "/api/private", token));
        await AssertRefusedAsync(first, "DPoP", "use_dpop_nonce", "dpop_nonce_required");
        var nonce = Assert.Single(first.Headers.GetValues("DPoP-Nonce"));
        var withNonce = key.Proof("GET", new Uri(client.BaseAddress!, "/api/private").AbsoluteUri, token).Claim("nonce", nonce).Build();
        using var second = await SendAsync(client, "/api/private", $"DPoP {token}", withNonce);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
    }

    [Fact]
    public async Task Behind_a_configured_proxy_the_proof_names_the_url_the_client_called()
    {
        const string Public = "https://api.example.com/api/private-bound";
        using var key = DPoPKey.CreateEcdsa();
        await using var behindProxy = await fixture.StartApiAsync(new Dictionary<string, string?> { ["ForwardedHeaders:KnownProxies:0"] = "127.0.0.1" });
        var token = BoundToken(behindProxy.Tokens, key);

        using var trusted = await SendForwardedAsync(behindProxy, token, key.Proof("GET", Public, token).Build());
        using var untrusted = await SendForwardedAsync(fixture.Api, token, key.Proof("GET", Public, token).Build());

        Assert.Equal(HttpStatusCode.OK, trusted.StatusCode);
        await AssertRefusedAsync(untrusted, "DPoP", "invalid_dpop_proof", "dpop_htu_mismatch");
    }

    [Fact]
    public async Task Neither_a_proof_nor_a_token_reaches_a_log_line()
    {
        using var key = DPoPKey.CreateEcdsa();
        var token = BoundToken(fixture.Tokens, key);
        using var client = fixture.Api.CreateClient();
        var proofs = new[]
        {
            Proof(client, key, "GET", "/api/private", token),
            Proof(client, key, "POST", "/api/private", token),
            Proof(client, key, "GET", "/api/private", token).WithBrokenSignature(),
        };

        foreach (var proof in proofs)
        {
            using var response = await SendAsync(client, "/api/private", $"DPoP {token}", proof);
        }

        var secrets = proofs.Append(token).SelectMany(s => s.Split('.')).Where(p => p.Length >= 16).ToList();
        var leaks = fixture.Api.Logs.All.Where(l => secrets.Any(s => l.ToString().Contains(s, StringComparison.Ordinal))).ToList();
        Assert.Empty(leaks);
        Assert.Contains(fixture.Api.Logs.All, l => l.Level == LogLevel.Information && l.Message.Contains("(dpop_htm_mismatch)", StringComparison.Ordinal));
    }

    /// <summary>A token for <paramref name="tokens"/>' issuer bound to <paramref name="key"/> (RFC 9449 §6.1).</summary>
    private static string BoundToken(TokenFactory tokens, DPoPKey key) =>
        tokens.Create(t => t.Claim("cnf", new Dictionary<string, object?> { ["jkt"] = key.Thumbprint }));

    private static string Proof(HttpClient client, DPoPKey key, string method, string path, string token) =>
        key.Proof(method, new Uri(client.BaseAddress!, path).AbsoluteUri, token).Build();

    private static async Task<HttpResponseMessage> SendAsync(ApiFactory api, string path, string token, DPoPKey key)
    {
        using var client = api.CreateClient();
        return await SendAsync(client, path, $"DPoP {token}", Proof(client, key, "GET", path, token));
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string path, string authorization, string? proof)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        AuthorizationHeader.Add(request.Headers, authorization);
        if (proof is not null)
        {
            request.Headers.Add("DPoP", proof);
        }

        return await client.SendAsync(request, Cancel);
    }

    private static async Task<HttpResponseMessage> SendForwardedAsync(ApiFactory api, string token, string proof)
    {
        using var client = api.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/private-bound");
        AuthorizationHeader.Add(request.Headers, $"DPoP {token}");
        request.Headers.Add("DPoP", proof);
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "api.example.com");
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        return await client.SendAsync(request, Cancel);
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, string scheme, string error, string reason)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = WwwAuthenticate.From(response);
        Assert.Equal((scheme, error), (challenge.Scheme, challenge.Error));
        if (scheme == "DPoP")
        {
            Assert.Equal(Algs, challenge.Parameters["algs"]);
        }

        var problem = await response.ReadProblemAsync(Cancel);
        Assert.Equal((reason, error), (problem.StringOf("reason"), problem.StringOf("error")));
    }
}
