using System.Net;
using Api.Tests.TestKit;
using Microsoft.Extensions.Logging;

namespace Api.Tests.Auth.SigningKeys;

[Collection(nameof(SigningKeysTestGroup))]
public sealed class KeyRotationTests
{
    [Fact]
    public async Task A_rotated_key_is_picked_up_without_restart_and_its_first_request_gets_200()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var api = await new ApiFactory(issuer, Keys.Settings()).StartAndWaitUntilReadyAsync();
        using var client = api.CreateClient();
        var fetchesAtStart = issuer.JwksRequests;

        var rotated = SigningKey.CreateRsa();
        issuer.Publish(rotated);
        var first = await Keys.GetAsync(client, "/api/private", api.Tokens.Create(t => t.SignedWith(rotated)));

        Assert.Equal((HttpStatusCode.OK, null), first);
        Assert.Equal(fetchesAtStart + 1, issuer.JwksRequests);
        Assert.Equal(1, api.Logs.Count(LogLevel.Information, "Signing keys changed: 2 keys"));
    }

    [Fact]
    public async Task Concurrent_first_requests_with_a_rotated_key_all_get_200_from_one_fetch()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var api = await new ApiFactory(issuer, Keys.Settings()).StartAndWaitUntilReadyAsync();
        using var client = api.CreateClient();
        var fetchesAtStart = issuer.JwksRequests;

        // Some of these are checked against the old keys but ask for the refresh only after it
        // finished; they must find the new key in the cache, not be stopped by the cooldown.
        var rotated = SigningKey.CreateRsa();
        issuer.Publish(rotated);
        var tokens = Enumerable.Range(0, 100).Select(_ => api.Tokens.Create(t => t.SignedWith(rotated))).ToArray();
        var answers = await Task.WhenAll(tokens.Select(token => Keys.GetAsync(client, "/api/private", token)));

        Assert.All(answers, a => Assert.Equal((HttpStatusCode.OK, null), a));
        Assert.Equal(fetchesAtStart + 1, issuer.JwksRequests);
    }

    [Fact]
    public async Task A_token_whose_key_was_withdrawn_keeps_working_until_a_refresh_and_is_refused_after_it()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var api = await new ApiFactory(issuer, Keys.Settings()).StartAndWaitUntilReadyAsync();
        using var client = api.CreateClient();
        var oldToken = api.Tokens.Create();
        var rotated = SigningKey.CreateRsa();

        issuer.Publish(rotated);
        issuer.Withdraw(issuer.SigningKey);
        var beforeRefresh = await Keys.GetAsync(client, "/api/private", oldToken);
        var newKey = await Keys.GetAsync(client, "/api/private", api.Tokens.Create(t => t.SignedWith(rotated)));
        var afterRefresh = await Keys.GetAsync(client, "/api/private", oldToken);

        Assert.Equal((HttpStatusCode.OK, null), beforeRefresh);
        Assert.Equal((HttpStatusCode.OK, null), newKey);
        Assert.Equal((HttpStatusCode.Unauthorized, "unknown_kid"), afterRefresh);
    }

    [Fact]
    public async Task The_periodic_refresh_picks_up_a_rotation_without_any_request_asking_for_it()
    {
        var interval = TimeSpan.FromSeconds(1);
        await using var issuer = await TestIssuer.StartAsync();
        await using var api = await new ApiFactory(issuer, Keys.Settings(interval: interval)).StartAndWaitUntilReadyAsync();
        using var client = api.CreateClient();
        var rotated = SigningKey.CreateRsa();
        issuer.Publish(rotated);
        issuer.Withdraw(issuer.SigningKey);

        await Keys.EventuallyAsync(
            () => Task.FromResult(api.Logs.Count(LogLevel.Information, $"Signing keys changed: 1 keys ({rotated.KeyId})") == 1),
            interval * 5,
            "the periodic refresh saw the rotation");
        var fetchesBefore = issuer.JwksRequests;
        var newKey = await Keys.GetAsync(client, "/api/private", api.Tokens.Create(t => t.SignedWith(rotated)));
        var oldKey = await Keys.GetAsync(client, "/api/private", api.Tokens.Create());

        Assert.Equal((HttpStatusCode.OK, null), newKey);
        Assert.Equal((HttpStatusCode.Unauthorized, "unknown_kid"), oldKey);
        Assert.InRange(issuer.JwksRequests - fetchesBefore, 0, 1); // the old kid may ask once; the new key needed nothing
    }
}
