using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Api.Tests.TestKit;
using Microsoft.Extensions.Logging;

namespace Api.Tests.Web.RateLimits;

/// <summary>
/// Starts API processes (each a cold start, most of a core for seconds) and stops Redis on purpose:
/// these tests run on their own, after the rest, so that load slows no one else's test.
/// </summary>
[CollectionDefinition(nameof(SeveralInstancesTestGroup), DisableParallelization = true)]
public sealed class SeveralInstancesTestGroup;

/// <summary>
/// Rate limits held in a real Redis (README, "Running several instances"): instances share one
/// budget per client, and an outage lets requests through (fail open) until Redis is back.
/// Windows here are an hour long: nothing in these tests waits for one to end.
/// </summary>
[Collection(nameof(SeveralInstancesTestGroup))]
public sealed class SharedRateLimitTests(ApiFixture fixture)
{
    private static readonly TimeSpan ProcessStartGuard = TimeSpan.FromSeconds(60);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_API_processes_sharing_a_Redis_enforce_one_limit_between_them()
    {
        await using var redis = await RedisServer.StartAsync();
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Auth0__Domain"] = fixture.Issuer.Authority.AbsoluteUri,
            ["Auth0__Audience"] = ApiFactory.Audience,
            ["ConnectionStrings__Redis"] = redis.ConnectionString,
            ["RateLimits__Default__Limit"] = "4",
            ["RateLimits__Default__Window"] = "01:00:00",
        };
        await using var first = ApiProcess.Start(environment);
        await using var second = ApiProcess.Start(environment);
        await Task.WhenAll(first.WaitUntilReadyAsync(ProcessStartGuard), second.WaitUntilReadyAsync(ProcessStartGuard));
        var token = fixture.Tokens.Create(t => t.Claim("azp", "frontend"));
        using var toFirst = first.CreateClient();
        using var toSecond = second.CreateClient();

        var answers = new List<HttpStatusCode>();
        foreach (var client in new[] { toFirst, toSecond, toFirst, toSecond, toFirst, toSecond })
        {
            using var response = await client.GetWithBearerAsync("/api/private", token);
            answers.Add(response.StatusCode);
        }

        Assert.Equal(
            [HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests],
            answers);
        using var other = await toSecond.GetWithBearerAsync("/api/private", fixture.Tokens.Create(t => t.Claim("azp", "partner")));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task While_Redis_is_down_requests_pass_uncounted_with_one_warning_a_metric_and_a_Degraded_readiness_until_it_is_back()
    {
        using var recorder = new MeterRecorder("Api.RateLimits");
        await using var redis = await RedisServer.StartAsync();
        await using var api = await fixture.StartApiAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
            ["RateLimits:Default:Limit"] = "2",
            ["RateLimits:Default:Window"] = "01:00:00",
        });
        using var client = api.CreateClient(api.Tokens.Create());
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], await StatusesAsync(client, 3));

        await redis.StopAsync();
        var duringOutage = await StatusesAsync(client, 5);
        var (health, redisCheck) = await ReadinessAsync(client);

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.OK, 5), duringOutage);
        Assert.Equal(1, api.Logs.Count(LogLevel.Warning, "Rate limits are not enforced: Redis is unreachable"));
        Assert.Equal(5, recorder.Of(api).Where(m => m.Instrument == "api.rate_limits.uncounted").Sum(m => m.Value));
        Assert.Equal(("Degraded", "Redis unreachable."), (health, redisCheck));

        await redis.StartAgainAsync();
        // The API reconnects by itself; until then requests still pass uncounted. The restarted
        // Redis is empty: the limit holds again once two more requests have been counted.
        await Eventually.HoldsAsync(
            async () => (await StatusesAsync(client, 1))[0] == HttpStatusCode.TooManyRequests,
            "a 429 once Redis was back");

        Assert.Equal(1, api.Logs.Count(LogLevel.Warning, "Rate limits are not enforced: Redis is unreachable"));
        Assert.Equal(1, api.Logs.Count(LogLevel.Information, "Rate limits are enforced again"));
        Assert.Equal(("Healthy", null), await ReadinessAsync(client));
    }

    private static async Task<List<HttpStatusCode>> StatusesAsync(HttpClient client, int count)
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < count; i++)
        {
            using var response = await client.GetAsync("/api/private", Cancel);
            statuses.Add(response.StatusCode);
        }

        return statuses;
    }

    /// <summary>The overall status of <c>/health/ready</c>, which must answer 200, and what it says of Redis.</summary>
    private static async Task<(string? Health, string? Redis)> ReadinessAsync(HttpClient client)
    {
        using var ready = await client.GetAsync("/health/ready", Cancel);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var body = await ready.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        return (
            body.GetProperty("status").GetString(),
            body.TryGetProperty("checks", out var checks) && checks.TryGetProperty("redis", out var redis) ? redis.GetString() : null);
    }
}
