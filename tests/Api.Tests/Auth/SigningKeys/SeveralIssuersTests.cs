using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Api.Auth;
using Api.Auth.SigningKeys;
using Api.Tests.TestKit;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Api.Tests.Auth.SigningKeys;

/// <summary>
/// Several issuers (README, "Several issuers: custom domains"): an Auth0 tenant's canonical
/// domain and its custom domains, each trusted as its own issuer with its own keys, refreshes and
/// outages, chosen by the token's <c>iss</c> before any network call.
/// </summary>
[Collection(nameof(SigningKeysTestGroup))]
public sealed class SeveralIssuersTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Tokens_of_every_configured_issuer_are_accepted_and_each_issuer_is_fetched_once()
    {
        await using var world = await World.StartAsync(2);

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(world, world.Tokens(0).Create()));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(world, world.Tokens(1).Create()));
        Assert.All(world.Issuers, i => Assert.Equal(1, i.JwksRequests));
    }

    [Fact]
    public async Task A_token_from_an_issuer_that_is_not_configured_is_refused_as_bad_issuer_without_a_single_request_to_it()
    {
        await using var world = await World.StartAsync(2);
        await using var stranger = await TestIssuer.StartAsync();
        var token = new TokenFactory(stranger, ApiFactory.Audience).Create();

        var (status, reason, detail) = await RefusalAsync(world, token);

        Assert.Equal((HttpStatusCode.Unauthorized, "bad_issuer"), (status, reason));
        Assert.Contains(stranger.Issuer, detail, StringComparison.Ordinal);
        Assert.Contains(world.Issuers[0].Issuer, detail, StringComparison.Ordinal);
        Assert.Contains(world.Issuers[1].Issuer, detail, StringComparison.Ordinal);
        Assert.Equal((0, 0), (stranger.DiscoveryRequests, stranger.JwksRequests));
        Assert.All(world.Issuers, i => Assert.Equal(1, i.JwksRequests)); // nobody else was asked either
    }

    [Fact]
    public async Task A_kid_published_by_two_issuers_with_different_keys_never_validates_the_other_issuers_token()
    {
        await using var world = await World.StartAsync(2, prepare: issuers =>
        {
            var first = SigningKey.CreateRsa("shared-kid");
            var second = SigningKey.CreateRsa("shared-kid");
            issuers[0].Publish(first);
            issuers[1].Publish(second);
            issuers[0].SigningKey = first;
            issuers[1].SigningKey = second;
            return Task.CompletedTask;
        });

        // Issuer 1's key, issuer 0's name: the kid exists at issuer 0, but with another key.
        var crossed = world.Tokens(0).Create(t => t.SignedWith(world.Issuers[1].SigningKey));
        var (status, reason, _) = await RefusalAsync(world, crossed);

        Assert.Equal((HttpStatusCode.Unauthorized, "bad_signature"), (status, reason));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(world, world.Tokens(0).Create()));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(world, world.Tokens(1).Create()));
    }

    [Fact]
    public async Task A_canonical_and_a_custom_domain_that_publish_the_same_keys_both_work()
    {
        await using var world = await World.StartAsync(2, prepare: issuers =>
        {
            // Auth0 serves one tenant's JWKS under every domain of the tenant.
            issuers[1].Withdraw(issuers[1].SigningKey);
            issuers[1].Publish(issuers[0].SigningKey);
            issuers[1].SigningKey = issuers[0].SigningKey;
            return Task.CompletedTask;
        });

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(world, world.Tokens(0).Create()));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(world, world.Tokens(1).Create()));
    }

    [Fact]
    public async Task A_rotation_at_one_issuer_is_picked_up_without_any_request_to_the_other()
    {
        await using var world = await World.StartAsync(2);
        var rotated = SigningKey.CreateRsa();
        world.Issuers[0].Publish(rotated);
        var otherBefore = (world.Issuers[1].DiscoveryRequests, world.Issuers[1].JwksRequests);

        var status = await StatusAsync(world, world.Tokens(0).Create(t => t.SignedWith(rotated)));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, world.Issuers[0].JwksRequests);
        Assert.Equal(otherBefore, (world.Issuers[1].DiscoveryRequests, world.Issuers[1].JwksRequests));
        Assert.Equal(1, world.Api.Logs.Count(LogLevel.Information, "Signing keys changed: 2 keys"));
        Assert.Equal(1, world.Api.Logs.Count(LogLevel.Information, $"at {world.Issuers[0].Issuer}"));
    }

    [Fact]
    public async Task An_issuer_down_at_start_up_leaves_the_api_Degraded_its_tokens_503_and_the_others_served_until_it_comes_up()
    {
        await using var world = await World.StartAsync(2, prepare: issuers => issuers[1].StopAsync(), waitUntilReady: false);
        using var client = world.Api.CreateClient();
        await Eventually.HoldsAsync(
            async () => (await client.GetAsync("/health/ready", Cancel)).StatusCode == HttpStatusCode.OK,
            "ready (Degraded) once the first issuer's keys are held");

        using (var degraded = await client.GetAsync("/health/ready", Cancel))
        {
            var body = await degraded.Content.ReadFromJsonAsync<JsonElement>(Cancel);
            Assert.Equal("Degraded", body.GetProperty("status").GetString());
            var issuers = body.GetProperty("issuers").EnumerateArray().ToDictionary(i => i.GetProperty("issuer").GetString()!, i => i.GetProperty("status").GetString());
            Assert.Equal("Healthy", issuers[world.Issuers[0].Issuer]);
            Assert.Equal("Unhealthy", issuers[world.Issuers[1].Issuer]);
        }

        using (var down = await client.GetWithBearerAsync("/api/private", world.Tokens(1).Create()))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            Assert.True(down.Headers.RetryAfter is not null, "a 503 for keys not yet obtained says when to retry");
            Assert.Equal("keys_unavailable", (await down.ReadProblemAsync(Cancel)).StringOf("reason"));
        }

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(world, world.Tokens(0).Create()));

        await world.Issuers[1].StartAsync();
        await Eventually.HoldsAsync(
            async () => (await client.GetFromJsonAsync<JsonElement>("/health/ready", Cancel)).GetProperty("status").GetString() == "Healthy",
            "Healthy once the second issuer is up (its background retries find it)");
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(world, world.Tokens(1).Create()));
    }

    [Fact]
    public async Task With_no_issuer_reachable_ready_is_503_Unhealthy_naming_each_issuer()
    {
        await using var world = await World.StartAsync(2, prepare: issuers => Task.WhenAll(issuers.Select(i => i.StopAsync())), waitUntilReady: false);
        using var client = world.Api.CreateClient();

        await Eventually.HoldsAsync(
            () => Task.FromResult(world.Api.Logs.Count(LogLevel.Warning, "Signing keys could not be obtained") == 2),
            "both start-up fetches failed");
        using var ready = await client.GetAsync("/health/ready", Cancel);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var problem = await ready.ReadProblemAsync(Cancel);
        Assert.Equal("Unhealthy", problem.StringOf("health"));
        Assert.Equal(
            world.Issuers.Select(i => i.Issuer).Order(StringComparer.Ordinal),
            problem.GetProperty("issuers").EnumerateArray().Select(i => i.GetProperty("issuer").GetString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_issuer_whose_discovery_names_another_issuer_is_unhealthy_and_the_warning_says_what_discovery_returned()
    {
        await using var world = await World.StartAsync(2, prepare: issuers =>
        {
            issuers[1].DiscoveryIssuer = "https://someone-else.example/";
            return Task.CompletedTask;
        }, waitUntilReady: false);
        using var client = world.Api.CreateClient();

        await Eventually.HoldsAsync(
            async () => (await client.GetAsync("/health/ready", Cancel)).StatusCode == HttpStatusCode.OK
                && world.Api.Logs.Count(LogLevel.Warning, "names the issuer 'https://someone-else.example/'") == 1,
            "the first issuer's keys held and the wrong discovery document reported");
        var body = await client.GetFromJsonAsync<JsonElement>("/health/ready", Cancel);

        Assert.Equal("Degraded", body.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(world, world.Tokens(0).Create()));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusAsync(world, world.Tokens(1).Create()));
    }

    [Fact]
    public async Task Refusal_logs_and_metrics_name_the_issuer_and_an_untrusted_issuer_is_never_a_metric_tag()
    {
        using var recorder = new MeterRecorder(AuthMetrics.MeterName);
        await using var world = await World.StartAsync(2);
        await using var stranger = await TestIssuer.StartAsync();

        await StatusAsync(world, world.Tokens(1).Create());
        await StatusAsync(world, world.Tokens(1).Create(t => t.Claim("aud", "https://another-api.example")));
        await StatusAsync(world, new TokenFactory(stranger, ApiFactory.Audience).Create());

        var refused = world.Api.Logs.All.Where(l => l.Message.StartsWith("Request refused", StringComparison.Ordinal)).ToList();
        Assert.Equal([world.Issuers[1].Issuer, stranger.Issuer], refused.Select(l => l["Issuer"] as string));
        var seen = recorder.Of(world.Api).Where(m => m.Instrument == "api.auth.token_validations")
            .Select(m => (m.Tags["result"], m.Tags.GetValueOrDefault("issuer"))).ToList();
        Assert.Contains(("accepted", world.Issuers[1].Issuer), seen);
        Assert.Contains(("refused", world.Issuers[1].Issuer), seen);
        Assert.Contains(("refused", null), seen);
        Assert.DoesNotContain(seen, s => s.Item2 == stranger.Issuer);
    }

    [Fact]
    public async Task An_issuer_selector_accepts_per_request_and_refuses_the_others_before_any_key_is_used_cached_tokens_included()
    {
        await using var world = await World.StartAsync(2, services: services => services.AddSingleton<IIssuerSelector>(new ByHost()));
        using var client = world.Api.CreateClient();
        var tokenA = world.Tokens(0).Create();
        var tokenB = world.Tokens(1).Create();
        ByHost.Tenants["tenant-a.example"] = world.Issuers[0].Issuer;
        ByHost.Tenants["tenant-b.example"] = world.Issuers[1].Issuer;

        Assert.Equal(HttpStatusCode.OK, await HostStatusAsync(client, "tenant-a.example", tokenA));
        Assert.Equal(HttpStatusCode.OK, await HostStatusAsync(client, "tenant-b.example", tokenB));
        var wrongHost = await HostRefusalAsync(client, "tenant-b.example", tokenA); // remembered from the first call
        var unknownHost = await HostRefusalAsync(client, "tenant-c.example", tokenB);

        Assert.Equal((HttpStatusCode.Unauthorized, "bad_issuer"), wrongHost);
        Assert.Equal((HttpStatusCode.Unauthorized, "bad_issuer"), unknownHost);
    }

    private sealed class ByHost : IIssuerSelector
    {
        public static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Tenants = new(StringComparer.OrdinalIgnoreCase);

        public bool Accepts(HttpContext context, string issuer) =>
            Tenants.TryGetValue(context.Request.Host.Host, out var tenant) && tenant == issuer;
    }

    private static async Task<HttpStatusCode> HostStatusAsync(HttpClient client, string host, string token) =>
        (await HostRefusalAsync(client, host, token)).Status;

    private static async Task<(HttpStatusCode Status, string? Reason)> HostRefusalAsync(HttpClient client, string host, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/private");
        request.Headers.Host = host;
        AuthorizationHeader.Add(request.Headers, AuthorizationHeader.Bearer(token));
        using var response = await client.SendAsync(request, Cancel);
        return response.IsSuccessStatusCode ? (response.StatusCode, null) : (response.StatusCode, (await response.ReadProblemAsync(Cancel)).StringOf("reason"));
    }

    private static async Task<HttpStatusCode> StatusAsync(World world, string token)
    {
        using var client = world.Api.CreateClient();
        using var response = await client.GetWithBearerAsync("/api/private", token);
        return response.StatusCode;
    }

    private static async Task<(HttpStatusCode Status, string? Reason, string? Detail)> RefusalAsync(World world, string token)
    {
        using var client = world.Api.CreateClient();
        using var response = await client.GetWithBearerAsync("/api/private", token);
        var problem = await response.ReadProblemAsync(Cancel);
        return (response.StatusCode, problem.StringOf("reason"), problem.StringOf("detail"));
    }

    /// <summary>Several loopback issuers and one API configured with all of them in <c>Auth0:Domains</c>.</summary>
    private sealed class World : IAsyncDisposable
    {
        private World(IReadOnlyList<TestIssuer> issuers, ApiFactory api)
        {
            Issuers = issuers;
            Api = api;
        }

        public IReadOnlyList<TestIssuer> Issuers { get; }

        public ApiFactory Api { get; }

        public TokenFactory Tokens(int issuer) => new(Issuers[issuer], ApiFactory.Audience);

        public static async Task<World> StartAsync(
            int count, Func<IReadOnlyList<TestIssuer>, Task>? prepare = null, bool waitUntilReady = true, Action<IServiceCollection>? services = null)
        {
            var issuers = new List<TestIssuer>();
            for (var i = 0; i < count; i++)
            {
                issuers.Add(await TestIssuer.StartAsync());
            }

            if (prepare is not null)
            {
                await prepare(issuers);
            }
            var settings = new Dictionary<string, string?> { ["Auth0:Domain"] = "" };
            for (var i = 0; i < count; i++)
            {
                settings[$"Auth0:Domains:{i}"] = issuers[i].Authority.AbsoluteUri;
            }

            var api = new ApiFactory(issuers[0], settings) { TestServices = services };
            if (waitUntilReady)
            {
                await api.StartAndWaitUntilReadyAsync();
            }
            else
            {
                api.StartServer();
            }

            return new World(issuers, api);
        }

        public async ValueTask DisposeAsync()
        {
            await Api.DisposeAsync();
            foreach (var issuer in Issuers)
            {
                await issuer.DisposeAsync();
            }
        }
    }
}
