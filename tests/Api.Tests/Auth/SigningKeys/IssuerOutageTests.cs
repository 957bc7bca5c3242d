using System.Net;
using Api.Tests.TestKit;
using Microsoft.Extensions.Logging;
using static Api.Tests.TestKit.AuthorizationHeader;

namespace Api.Tests.Auth.SigningKeys;

/// <summary>
/// The issuer failing after the keys were obtained (README, "How keys are handled": issuer down,
/// logs). Each fetch is the refresher's own, run by moving the test clock to it.
/// </summary>
[Collection(nameof(SigningKeysTestGroup))]
public sealed class IssuerOutageTests
{
    [Fact]
    public async Task Cached_keys_keep_working_while_the_issuer_is_down_and_a_key_rotated_meanwhile_is_picked_up_once_it_is_back()
    {
        // A cooldown shorter than the retries' backoff by then, so the unknown kid below may ask.
        await using var api = await Keys.StartApiAsync(Keys.Settings(cooldown: TimeSpan.FromSeconds(1)));
        var issuer = api.Issuer;
        using var client = api.CreateClient();
        var token = api.Tokens.Create();

        await issuer.StopAsync();
        for (var attempt = 1; attempt <= 4; attempt++)
        {
            await api.RunScheduledRefreshAsync(); // the periodic refresh, then its retries, all refused
            Assert.Equal((HttpStatusCode.OK, null), await client.StatusAndReasonAsync("/api/private", Bearer(api.Tokens.Create())));
            Assert.Equal((HttpStatusCode.OK, null), await client.StatusAndReasonAsync("/health/ready", authorization: null));
        }

        // A kid we cannot check is still not ours: 401, not 503. The next retry is 2 s away.
        api.TestClock().Advance(api.Auth0Options().KeyRefreshCooldown);
        Assert.Equal(
            (HttpStatusCode.Unauthorized, "unknown_kid"),
            await client.StatusAndReasonAsync("/api/private", Bearer(api.Tokens.Create(t => t.HeaderClaim("kid", "not-published")))));
        Assert.Equal(1, api.Logs.Count(LogLevel.Warning, "keeping the 1 last known good keys"));
        Assert.Equal(4, api.Logs.Count(LogLevel.Debug, "still failing")); // three retries and the unknown kid's fetch

        // The issuer comes back with a rotated key: the next retry picks it up, no restart, no request needed.
        var rotated = SigningKey.CreateRsa();
        issuer.Publish(rotated);
        await issuer.StartAsync();
        await api.RunScheduledRefreshAsync();
        var fetches = issuer.JwksRequests;

        Assert.Equal((HttpStatusCode.OK, null), await client.StatusAndReasonAsync("/api/private", Bearer(api.Tokens.Create(t => t.SignedWith(rotated)))));
        Assert.Equal((HttpStatusCode.OK, null), await client.StatusAndReasonAsync("/api/private", Bearer(token)));
        Assert.Equal(fetches, issuer.JwksRequests);
        Assert.Equal(1, api.Logs.Count(LogLevel.Information, "Signing keys fetched again after 5 failed attempt(s)"));
        Assert.Equal(1, api.Logs.Count(LogLevel.Information, "Signing keys changed: 2 keys"));
    }
}
