using System.Net;
using System.Net.Sockets;
using Api.Tests.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace Api.Tests.Web.RateLimits;

/// <summary>
/// Per-client rate limits in one instance (README, "Callers and limits"), through real HTTP on an
/// API whose clock the test moves: windows end when the test says, not after a sleep.
/// </summary>
public sealed class RateLimitTests(ApiFixture fixture)
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_client_over_its_limit_gets_429_with_Retry_After_the_draft_RateLimit_fields_and_a_problem_body()
    {
        var clock = ApiFactory.ClockStartingNow();
        await using var api = await StartAsync(clock, Limit("Default", 3, "00:01:00"));
        using var client = api.CreateClient(api.Tokens.Create(t => t.Claim("azp", "frontend")));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], await StatusesAsync(client, "/api/private", 3));
        clock.Advance(TimeSpan.FromSeconds(15));
        using var refused = await client.GetAsync("/api/private", Cancel);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("45", Header(refused, "Retry-After"));
        Assert.Equal("\"default\";q=3;w=60", Header(refused, "RateLimit-Policy"));
        Assert.Equal("\"default\";r=0;t=45", Header(refused, "RateLimit"));
        var problem = await refused.ReadProblemAsync(Cancel);
        Assert.Equal("rate_limited", problem.StringOf("reason"));
        Assert.Equal("frontend", problem.StringOf("client"));
        Assert.Equal("default", problem.StringOf("policy"));
        Assert.Equal(3, problem.GetProperty("limit").GetInt32());
        Assert.Equal(60, problem.GetProperty("window").GetInt32());
        Assert.Equal("The client 'frontend' may send 3 requests per 60 s; try again in 45 s.", problem.StringOf("detail"));
    }

    [Fact]
    public async Task The_window_ends_its_length_after_the_clients_first_request_and_the_next_one_opens_with_a_full_budget()
    {
        var clock = ApiFactory.ClockStartingNow();
        await using var api = await StartAsync(clock, Limit("Default", 2, "00:01:00"));
        using var client = api.CreateClient(api.Tokens.Create());

        await StatusesAsync(client, "/api/private", 2);
        clock.Advance(Minute - TimeSpan.FromSeconds(1));
        using (var lastSecond = await client.GetAsync("/api/private", Cancel))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, lastSecond.StatusCode);
            Assert.Equal("1", Header(lastSecond, "Retry-After"));
        }

        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], await StatusesAsync(client, "/api/private", 3));
    }

    [Fact]
    public async Task One_clients_requests_do_not_spend_another_clients_budget()
    {
        await using var api = await StartAsync(ApiFactory.ClockStartingNow(), Limit("Default", 2, "00:01:00"));
        using var frontend = api.CreateClient(api.Tokens.Create(t => t.Claim("azp", "frontend")));
        using var partner = api.CreateClient(api.Tokens.Create(t => t.Claim("azp", "partner")));

        Assert.Equal(HttpStatusCode.TooManyRequests, (await StatusesAsync(frontend, "/api/private", 3))[^1]);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], await StatusesAsync(partner, "/api/private", 3));
    }

    [Fact]
    public async Task A_client_override_sets_that_clients_limit_and_a_missing_window_is_the_defaults()
    {
        await using var api = await StartAsync(
            ApiFactory.ClockStartingNow(),
            Limit("Default", 5, "00:01:00"),
            new() { ["RateLimits:Clients:partner:Limit"] = "1" },
            Limit("Clients:batch", 2, "00:00:10"));
        using var partner = api.CreateClient(api.Tokens.Create(t => t.Claim("azp", "partner")));
        using var batch = api.CreateClient(api.Tokens.Create(t => t.Claim("azp", "batch")));
        // client_id names the client when the token has no azp (RFC 9068 §2.2).
        using var other = api.CreateClient(api.Tokens.Create(t => t.Without("azp").Claim("client_id", "other")));

        var partnerAnswers = await StatusesAsync(partner, "/api/private", 2);
        using var partnerRefused = await partner.GetAsync("/api/private", Cancel);
        await StatusesAsync(batch, "/api/private", 2);
        using var batchRefused = await batch.GetAsync("/api/private", Cancel);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.TooManyRequests], partnerAnswers);
        Assert.Equal("\"client:partner\";q=1;w=60", Header(partnerRefused, "RateLimit-Policy"));
        Assert.Equal("\"client:batch\";q=2;w=10", Header(batchRefused, "RateLimit-Policy"));
        Assert.Equal("10", Header(batchRefused, "Retry-After"));
        Assert.Equal(
            [.. Enumerable.Repeat(HttpStatusCode.OK, 5), HttpStatusCode.TooManyRequests],
            await StatusesAsync(other, "/api/private", 6));
    }

    [Fact]
    public async Task Requests_without_a_token_are_limited_per_remote_address_and_apart_from_clients()
    {
        await using var api = await StartAsync(ApiFactory.ClockStartingNow(), Limit("Anonymous", 2, "00:01:00"));
        using var first = ClientFrom(api, IPAddress.Loopback);
        using var second = ClientFrom(api, IPAddress.Parse("127.0.0.2"));
        using var withToken = api.CreateClient(api.Tokens.Create());

        var firstAnswers = await StatusesAsync(first, "/api/public", 3);
        using var refused = await first.GetAsync("/api/private", Cancel); // a 401 would be next: the budget is spent first

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], firstAnswers);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("\"anonymous\";q=2;w=60", Header(refused, "RateLimit-Policy"));
        var problem = await refused.ReadProblemAsync(Cancel);
        Assert.Equal("rate_limited", problem.StringOf("reason"));
        Assert.False(problem.TryGetProperty("client", out _), "An anonymous request has no client.");
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK], await StatusesAsync(second, "/api/public", 2));
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.OK, 4), await StatusesAsync(withToken, "/api/public", 4));
    }

    [Fact]
    public async Task A_refused_token_is_counted_as_anonymous_and_never_spends_the_budget_of_the_client_it_names()
    {
        await using var api = await StartAsync(
            ApiFactory.ClockStartingNow(),
            Limit("Default", 2, "00:01:00"),
            Limit("Anonymous", 5, "00:01:00"),
            new() { ["Auth0:AllowedClients:0"] = "frontend" });
        using var client = api.CreateClient();
        var expired = api.Tokens.Create(t => t.Claim("azp", "frontend").ExpiresAt(DateTimeOffset.UtcNow.AddMinutes(-5)));
        using var foreignKey = SigningKey.CreateRsa(api.Issuer.SigningKey.KeyId);
        var forged = api.Tokens.Create(t => t.Claim("azp", "frontend").SignedWith(foreignKey));
        var notAllowed = api.Tokens.Create(t => t.Claim("azp", "intruder"));
        // Valid tokens whose requests are refused all the same (RFC 9449 §7): bound to a key, sent
        // as a bearer token, or with a proof by another key.
        using var boundTo = DPoPKey.CreateEcdsa();
        using var otherKey = DPoPKey.CreateEcdsa();
        var bound = api.Tokens.Create(t => t.Claim("azp", "frontend").Claim("cnf", new Dictionary<string, object?> { ["jkt"] = boundTo.Thumbprint }));
        var wrongProof = otherKey.Proof("GET", new Uri(client.BaseAddress!, "/api/private").AbsoluteUri, bound).Build();

        var refusals = new List<HttpStatusCode>();
        foreach (var (authorization, proof) in new[]
        {
            ($"Bearer {expired}", null), ($"Bearer {forged}", null), ($"Bearer {notAllowed}", null),
            ($"Bearer {bound}", null), ($"DPoP {bound}", wrongProof), ($"Bearer {expired}", (string?)null),
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/private");
            AuthorizationHeader.Add(request.Headers, authorization);
            if (proof is not null)
            {
                request.Headers.Add("DPoP", proof);
            }

            using var response = await client.SendAsync(request, Cancel);
            refusals.Add(response.StatusCode);
        }

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 5), HttpStatusCode.TooManyRequests], refusals);
        using var frontend = api.CreateClient(api.Tokens.Create(t => t.Claim("azp", "frontend")));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], await StatusesAsync(frontend, "/api/private", 3));
    }

    [Fact]
    public async Task Health_and_Swagger_routes_are_never_limited()
    {
        await using var api = await StartAsync(ApiFactory.ClockStartingNow(), Limit("Default", 1, "00:01:00"), Limit("Anonymous", 1, "00:01:00"));
        using var anonymous = api.CreateClient();
        using var client = api.CreateClient(api.Tokens.Create());
        string[] routes = ["/health/live", "/health/ready", "/swagger", "/swagger/index.html", "/swagger/v1/swagger.json"];

        foreach (var route in routes)
        {
            Assert.DoesNotContain(HttpStatusCode.TooManyRequests, await StatusesAsync(anonymous, route, 3));
            Assert.DoesNotContain(HttpStatusCode.TooManyRequests, await StatusesAsync(client, route, 3));
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.TooManyRequests], await StatusesAsync(anonymous, "/api/public", 2));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.TooManyRequests], await StatusesAsync(client, "/api/public", 2));
    }

    [Fact]
    public async Task Limited_requests_are_counted_by_policy_and_client()
    {
        using var recorder = new MeterRecorder("Api.RateLimits");
        await using var api = await StartAsync(ApiFactory.ClockStartingNow(), Limit("Default", 1, "00:01:00"), Limit("Anonymous", 1, "00:01:00"));
        using var frontend = api.CreateClient(api.Tokens.Create(t => t.Claim("azp", "frontend")));
        using var anonymous = api.CreateClient();

        await StatusesAsync(frontend, "/api/private", 3);
        await StatusesAsync(anonymous, "/api/public", 2);

        Assert.Equal(
            new Dictionary<string, long> { ["default/frontend"] = 2, ["anonymous/anonymous"] = 1 },
            recorder.Of(api).Where(m => m.Instrument == "api.rate_limits.limited")
                .GroupBy(m => $"{m.Tags["policy"]}/{m.Tags["client"]}").ToDictionary(g => g.Key, g => g.Sum(m => m.Value)));
    }

    [Fact]
    public async Task Without_RateLimits_settings_nothing_is_limited_and_no_RateLimit_fields_are_sent()
    {
        using var client = fixture.Api.CreateClient();

        for (var i = 0; i < 20; i++)
        {
            using var response = await client.GetAsync("/api/public", Cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Null(Header(response, "RateLimit"));
            Assert.Null(Header(response, "RateLimit-Policy"));
        }
    }

    private static Dictionary<string, string?> Limit(string rule, int limit, string window) => new()
    {
        [$"RateLimits:{rule}:Limit"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        [$"RateLimits:{rule}:Window"] = window,
    };

    private Task<ApiFactory> StartAsync(FakeTimeProvider clock, params Dictionary<string, string?>[] settings) =>
        ApiFactory.StartAsync(fixture.Issuer, settings.SelectMany(s => s).ToDictionary(), clock: clock);

    private static async Task<List<HttpStatusCode>> StatusesAsync(HttpClient client, string path, int count)
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < count; i++)
        {
            using var response = await client.GetAsync(path, Cancel);
            statuses.Add(response.StatusCode);
        }

        return statuses;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.NonValidated.TryGetValues(name, out var values) ? values.ToString() : null;

    /// <summary>
    /// A client whose connections come from <paramref name="source"/>, another address of the
    /// loopback network (127.0.0.0/8), to the API's 127.0.0.1: two callers, as the API sees them.
    /// </summary>
    private static HttpClient ClientFrom(ApiFactory api, IPAddress source)
    {
        using var plain = api.CreateClient();
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (connection, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(IPAddress.Loopback, connection.DnsEndPoint.Port, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = plain.BaseAddress };
    }
}
