using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Api.Tests.TestKit;
using Api.Tests.Web.RateLimits;

namespace Api.Tests.Auth.DPoP;

/// <summary>
/// The DPoP replay cache in a real Redis (README, "Running several instances"): a proof used on
/// one instance is refused on every other, and while Redis cannot record proofs, DPoP requests
/// get 503 (a proof is never accepted unrecorded) and Bearer requests carry on.
/// </summary>
[Collection(nameof(SeveralInstancesTestGroup))]
public sealed class SharedReplayCacheTests(ApiFixture fixture)
{
    /// <summary>Both instances sit behind the same (pretend) proxy, so a proof names one URL for both.</summary>
    private const string PublicUrl = "https://api.example.com/api/private";

    private static readonly TimeSpan ProcessStartGuard = TimeSpan.FromSeconds(60);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_proof_used_on_one_API_process_is_refused_as_a_replay_on_the_other()
    {
        await using var redis = await RedisServer.StartAsync();
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Auth0__Domain"] = fixture.Issuer.Authority.AbsoluteUri,
            ["Auth0__Audience"] = ApiFactory.Audience,
            ["ConnectionStrings__Redis"] = redis.ConnectionString,
            ["ForwardedHeaders__KnownProxies__0"] = "127.0.0.1",
        };
        await using var first = ApiProcess.Start(environment);
        await using var second = ApiProcess.Start(environment);
        await Task.WhenAll(first.WaitUntilReadyAsync(ProcessStartGuard), second.WaitUntilReadyAsync(ProcessStartGuard));
        using var key = DPoPKey.CreateEcdsa();
        var token = BoundToken(key);
        var proof = key.Proof("GET", PublicUrl, token).Build();
        using var toFirst = first.CreateClient();
        using var toSecond = second.CreateClient();

        using var accepted = await SendAsync(toFirst, token, proof);
        using var replayed = await SendAsync(toSecond, token, proof);
        using var fresh = await SendAsync(toSecond, token, key.Proof("GET", PublicUrl, token).Build());

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
        Assert.Equal("dpop_replayed", (await replayed.ReadProblemAsync(Cancel)).StringOf("reason"));
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
    }

    [Fact]
    public async Task While_Redis_is_down_DPoP_requests_get_503_with_Retry_After_and_Bearer_requests_pass_until_it_is_back()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var api = await fixture.StartApiAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
            ["ForwardedHeaders:KnownProxies:0"] = "127.0.0.1",
        });
        using var key = DPoPKey.CreateEcdsa();
        var token = BoundToken(key);
        using var client = api.CreateClient();
        using (var before = await SendAsync(client, token, key.Proof("GET", PublicUrl, token).Build()))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await redis.StopAsync();
        using var dpop = await SendAsync(client, token, key.Proof("GET", PublicUrl, token).Build());
        using var bearer = await client.GetWithBearerAsync("/api/private", api.Tokens.Create());
        using var ready = await client.GetAsync("/health/ready", Cancel);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, dpop.StatusCode);
        Assert.NotNull(dpop.Headers.RetryAfter);
        Assert.Equal("dpop_replay_store_unavailable", (await dpop.ReadProblemAsync(Cancel)).StringOf("reason"));
        Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Degraded", (await ready.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("status").GetString());

        await redis.StartAgainAsync();
        await Eventually.HoldsAsync(
            async () =>
            {
                using var again = await SendAsync(client, token, key.Proof("GET", PublicUrl, token).Build());
                return again.StatusCode == HttpStatusCode.OK;
            },
            "DPoP requests accepted again once Redis is back");
    }

    private string BoundToken(DPoPKey key) =>
        fixture.Tokens.Create(t => t.Claim("cnf", new Dictionary<string, object?> { ["jkt"] = key.Thumbprint }));

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string token, string proof)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/private");
        AuthorizationHeader.Add(request.Headers, $"DPoP {token}");
        request.Headers.Add("DPoP", proof);
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "api.example.com");
        return await client.SendAsync(request, Cancel);
    }
}
