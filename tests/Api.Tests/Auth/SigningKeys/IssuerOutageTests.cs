using System.Net;
using Api.Tests.TestKit;
using Microsoft.Extensions.Logging;

namespace Api.Tests.Auth.SigningKeys;

[Collection(nameof(SigningKeysTestGroup))]
public sealed class IssuerOutageTests
{
    [Fact]
    public async Task Cached_keys_keep_working_while_the_issuer_is_down_and_the_outage_is_logged_once()
    {
        var interval = TimeSpan.FromMilliseconds(500);
        await using var issuer = await TestIssuer.StartAsync();
        await using var api = await new ApiFactory(issuer, Keys.Settings(interval: interval, cooldown: TimeSpan.FromSeconds(1)))
            .StartAndWaitUntilReadyAsync();
        using var client = api.CreateClient();
        var token = api.Tokens.Create();

        await issuer.StopAsync();
        var answers = new List<(HttpStatusCode, string?)>();
        var readiness = new List<(HttpStatusCode, string?)>();
        var outageEnds = DateTime.UtcNow + (interval * 5);
        while (DateTime.UtcNow < outageEnds)
        {
            answers.Add(await Keys.GetAsync(client, "/api/private", token));
            readiness.Add(await Keys.GetAsync(client, "/health/ready"));
            await Task.Delay(50, Keys.Cancel);
        }

        var unknownKid = await Keys.GetAsync(client, "/api/private", api.Tokens.Create(t => t.HeaderClaim("kid", "not-published")));

        Assert.All(answers, a => Assert.Equal((HttpStatusCode.OK, null), a));
        Assert.All(readiness, a => Assert.Equal((HttpStatusCode.OK, null), a));
        Assert.Equal((HttpStatusCode.Unauthorized, "unknown_kid"), unknownKid); // a kid we cannot check is still not ours: 401, not 503
        Assert.Equal(1, api.Logs.Count(LogLevel.Warning, "keeping the 1 last known good keys"));
        Assert.True(api.Logs.Count(LogLevel.Debug, "still failing") >= 2, "the periodic refresh kept retrying during the outage");

        // The issuer comes back with a rotated key: picked up without a restart.
        var rotated = SigningKey.CreateRsa();
        issuer.Publish(rotated);
        await issuer.StartAsync();
        var rotatedToken = api.Tokens.Create(t => t.SignedWith(rotated));
        await Keys.EventuallyAsync(
            async () => (await Keys.GetAsync(client, "/api/private", rotatedToken)).Status == HttpStatusCode.OK,
            TimeSpan.FromSeconds(5),
            "a token signed by the rotated key is accepted once the issuer is back");
        Assert.Equal((HttpStatusCode.OK, null), await Keys.GetAsync(client, "/api/private", token));
        Assert.Equal(1, api.Logs.Count(LogLevel.Information, "Signing keys fetched again after"));
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{answers.Count} requests during the outage, all 200; {api.Logs.Count(LogLevel.Warning, "refresh failed")} warning, " +
            $"{api.Logs.Count(LogLevel.Debug, "still failing")} debug retries");
    }
}
