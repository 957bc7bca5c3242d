using System.Net;
using System.Net.Sockets;
using System.Net.Http.Json;
using System.Text.Json;
using Api.Tests.TestKit;

namespace Api.Tests.Redis;

/// <summary>
/// <c>/health/ready</c> reports Redis when it is configured (README, "Running several instances"):
/// not ready until the first connection attempt is over, then Degraded, still 200, while Redis
/// does not answer, since nothing the API serves stops without it.
/// </summary>
public sealed class RedisHealthTests(ApiFixture fixture)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Ready_is_200_Degraded_naming_Redis_while_it_is_unreachable_and_never_names_the_server()
    {
        var nothingListens = $"127.0.0.1:{ApiProcess.FreeLoopbackPort()}";
        // Not ready until the first connection attempt is over: StackExchange.Redis sometimes
        // gives up on a refused port only after connectTimeout (5 s by default), per attempt.
        await using var api = await fixture.StartApiAsync(new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = $"{nothingListens},connectTimeout=1000" });
        using var client = api.CreateClient();

        using var ready = await client.GetAsync("/health/ready", Cancel);

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var body = await ready.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal("Degraded", body.GetProperty("status").GetString());
        Assert.Equal("Redis unreachable.", body.GetProperty("checks").GetProperty("redis").GetString());
        Assert.DoesNotContain(nothingListens, body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ready_is_503_while_the_first_connection_attempt_is_under_way()
    {
        // Accepts connections (the kernel completes the handshake) and never answers: StackExchange.Redis
        // waits out its connectTimeout (5 s) for the reply.
        var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        try
        {
            using var api = new ApiFactory(fixture.Issuer, new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = silent.LocalEndpoint.ToString() });
            api.StartServer();
            using var client = api.CreateClient();

            using var ready = await client.GetAsync("/health/ready", Cancel);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            var problem = await ready.ReadProblemAsync(Cancel);
            Assert.Equal("Redis connecting.", problem.GetProperty("checks").GetProperty("redis").GetString());
        }
        finally
        {
            silent.Stop();
        }
    }

    [Fact]
    public async Task Ready_is_Healthy_when_Redis_answers()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var api = await fixture.StartApiAsync(new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = redis.ConnectionString });
        using var client = api.CreateClient();

        // The API connects in the background as it starts, so its first answers may predate the connection.
        await Eventually.HoldsAsync(
            async () =>
            {
                using var ready = await client.GetAsync("/health/ready", Cancel);
                Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
                var body = await ready.Content.ReadFromJsonAsync<JsonElement>(Cancel);
                return body.TryGetProperty("status", out var status) && status.GetString() == "Healthy";
            },
            "/health/ready answered Healthy");
    }
}
