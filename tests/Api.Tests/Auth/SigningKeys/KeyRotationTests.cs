using System.Net;
using Api.Tests.TestKit;
using Microsoft.Extensions.Logging;
using static Api.Tests.TestKit.AuthorizationHeader;

namespace Api.Tests.Auth.SigningKeys;

/// <summary>
/// The tenant rotates its signing key (README, "How keys are handled": rotation, periodic
/// refresh). Each test lets the cooldown pass after start-up first, as a real rotation comes
/// long after it.
/// </summary>
[Collection(nameof(SigningKeysTestGroup))]
public sealed class KeyRotationTests
{
    [Fact]
    public async Task A_rotated_key_is_picked_up_without_restart_and_its_first_request_gets_200()
    {
        await using var api = await Keys.StartApiAsync();
        api.TestClock().Advance(api.Auth0Options().KeyRefreshCooldown);
        var fetchesAtStart = api.Issuer.JwksRequests;

        var rotated = SigningKey.CreateRsa();
        api.Issuer.Publish(rotated);
        var first = await api.StatusAndReasonAsync("/api/private", Bearer(api.Tokens.Create(t => t.SignedWith(rotated))));

        Assert.Equal((HttpStatusCode.OK, null), first);
        Assert.Equal(fetchesAtStart + 1, api.Issuer.JwksRequests);
        Assert.Equal(1, api.Logs.Count(LogLevel.Information, "Signing keys changed: 2 keys"));
    }

    [Fact]
    public async Task Concurrent_first_requests_with_a_rotated_key_all_get_200_from_one_fetch()
    {
        await using var api = await Keys.StartApiAsync();
        api.TestClock().Advance(api.Auth0Options().KeyRefreshCooldown);
        using var client = api.CreateClient();
        var fetchesAtStart = api.Issuer.JwksRequests;

        // Some of these are checked against the old keys but ask for the refresh only after it
        // finished; they must find the new key in the cache, not be stopped by the cooldown.
        var rotated = SigningKey.CreateRsa();
        api.Issuer.Publish(rotated);
        var tokens = Enumerable.Range(0, 100).Select(_ => api.Tokens.Create(t => t.SignedWith(rotated))).ToArray();
        var answers = await Task.WhenAll(tokens.Select(token => client.StatusAndReasonAsync("/api/private", Bearer(token))));

        Assert.All(answers, a => Assert.Equal((HttpStatusCode.OK, null), a));
        Assert.Equal(fetchesAtStart + 1, api.Issuer.JwksRequests);
    }

    [Fact]
    public async Task A_token_whose_key_was_withdrawn_keeps_working_until_a_refresh_and_is_refused_after_it()
    {
        await using var api = await Keys.StartApiAsync();
        api.TestClock().Advance(api.Auth0Options().KeyRefreshCooldown);
        using var client = api.CreateClient();
        var oldToken = api.Tokens.Create();
        var rotated = SigningKey.CreateRsa();

        api.Issuer.Publish(rotated);
        api.Issuer.Withdraw(api.Issuer.SigningKey);
        var beforeRefresh = await client.StatusAndReasonAsync("/api/private", Bearer(oldToken));
        var newKey = await client.StatusAndReasonAsync("/api/private", Bearer(api.Tokens.Create(t => t.SignedWith(rotated))));
        var afterRefresh = await client.StatusAndReasonAsync("/api/private", Bearer(oldToken));

        Assert.Equal((HttpStatusCode.OK, null), beforeRefresh);
        Assert.Equal((HttpStatusCode.OK, null), newKey);
        Assert.Equal((HttpStatusCode.Unauthorized, "unknown_kid"), afterRefresh);
    }

    [Fact]
    public async Task The_periodic_refresh_every_KeyRefreshInterval_picks_up_a_rotation_without_any_request_asking_for_it()
    {
        await using var api = await Keys.StartApiAsync();
        var startedAt = api.TestClock().GetUtcNow();
        using var client = api.CreateClient();
        var rotated = SigningKey.CreateRsa();
        api.Issuer.Publish(rotated);
        api.Issuer.Withdraw(api.Issuer.SigningKey);

        Assert.Equal(api.Auth0Options().KeyRefreshInterval, await api.NextRefreshAsync() - startedAt);
        await api.RunScheduledRefreshAsync();
        Assert.Equal(1, api.Logs.Count(LogLevel.Information, $"Signing keys changed: 1 keys ({rotated.KeyId})"));
        var fetchesBefore = api.Issuer.JwksRequests;

        Assert.Equal((HttpStatusCode.OK, null), await client.StatusAndReasonAsync("/api/private", Bearer(api.Tokens.Create(t => t.SignedWith(rotated)))));
        Assert.Equal(fetchesBefore, api.Issuer.JwksRequests); // the new key needed no fetch of its own
        Assert.Equal((HttpStatusCode.Unauthorized, "unknown_kid"), await client.StatusAndReasonAsync("/api/private", Bearer(api.Tokens.Create())));
    }
}
