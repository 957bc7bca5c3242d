using System.Net;
using Api.Tests.TestKit;
using Microsoft.Extensions.Logging;
using static Api.Tests.TestKit.AuthorizationHeader;

namespace Api.Tests.Auth.SigningKeys;

/// <summary>
/// An issuer that does not answer (README, "How keys are handled": timeout). Its answers are held
/// at the issuer until the test releases them, and the API's <c>Auth0:MetadataTimeout</c> runs on
/// the test clock, so "slower than the timeout" is exact whatever the machine's load.
/// </summary>
[Collection(nameof(SigningKeysTestGroup))]
public sealed class SlowIssuerTests
{
    [Fact]
    public async Task A_slow_issuer_is_cut_off_at_MetadataTimeout_and_a_token_with_a_known_key_does_not_wait_for_it()
    {
        await using var api = await Keys.StartApiAsync();
        var (issuer, clock, settings) = (api.Issuer, api.TestClock(), api.Auth0Options());
        clock.Advance(settings.KeyRefreshCooldown); // a rotation comes a while after start-up
        var rotated = SigningKey.CreateRsa();
        issuer.Publish(rotated);
        var knownToken = api.Tokens.Create();
        issuer.HoldAnswers();
        using var client = api.CreateClient();

        // The new key's request waits for a refresh, which the issuer does not answer.
        var waiting = client.StatusAndReasonAsync("/api/private", Bearer(api.Tokens.Create(t => t.SignedWith(rotated))));
        await Eventually.HoldsAsync(() => issuer.DiscoveryGate.Held == 1, "the refresh for the new kid is waiting for the issuer");

        // Meanwhile a known key waits for nothing.
        Assert.Equal((HttpStatusCode.OK, null), await client.StatusAndReasonAsync("/api/private", Bearer(knownToken)));
        Assert.False(waiting.IsCompleted, "The new key's request was answered before its refresh ended.");

        clock.Advance(settings.MetadataTimeout);

        Assert.Equal((HttpStatusCode.Unauthorized, "unknown_kid"), await waiting.AnsweredAsync());
        Assert.Equal(1, issuer.JwksRequests); // only the start-up fetch got as far as the JWKS: this one was cut off at discovery
        Assert.Equal(1, api.Logs.Count(LogLevel.Warning, "keeping the 1 last known good keys; retrying in the background: The issuer did not answer within 00:00:05 (Auth0:MetadataTimeout)"));
        Assert.Equal((HttpStatusCode.OK, null), await client.StatusAndReasonAsync("/api/private", Bearer(knownToken))); // last known good kept
    }

    [Fact]
    public async Task The_timeout_bounds_discovery_and_JWKS_together_not_each()
    {
        await using var api = await Keys.StartApiAsync();
        var (issuer, clock, settings) = (api.Issuer, api.TestClock(), api.Auth0Options());
        clock.Advance(settings.KeyRefreshCooldown);
        var rotated = SigningKey.CreateRsa();
        issuer.Publish(rotated);
        var token = api.Tokens.Create(t => t.SignedWith(rotated));
        issuer.HoldAnswers();
        using var client = api.CreateClient();

        // Each document takes 0.7 of the timeout: either alone would be in time, the two are not.
        var waiting = client.StatusAndReasonAsync("/api/private", Bearer(token));
        await Eventually.HoldsAsync(() => issuer.DiscoveryGate.Held == 1, "the refresh is waiting for discovery");
        clock.Advance(settings.MetadataTimeout * 0.7);
        issuer.DiscoveryGate.Release();
        await Eventually.HoldsAsync(() => issuer.JwksGate.Held == 1, "the refresh went on to the JWKS, still within its time");
        clock.Advance(settings.MetadataTimeout * 0.7);

        Assert.Equal((HttpStatusCode.Unauthorized, "unknown_kid"), await waiting.AnsweredAsync());
        Assert.Equal(1, api.Logs.Count(LogLevel.Warning, "did not answer within 00:00:05 (Auth0:MetadataTimeout)"));

        // The issuer answers in time again; after the cooldown the new key's next request refreshes and passes.
        issuer.ReleaseAnswers();
        clock.Advance(settings.KeyRefreshCooldown);
        Assert.Equal((HttpStatusCode.OK, null), await client.StatusAndReasonAsync("/api/private", Bearer(token)));
    }
}
