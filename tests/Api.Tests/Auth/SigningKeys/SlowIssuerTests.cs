using System.Diagnostics;
using System.Net;
using Api.Tests.TestKit;
using Microsoft.Extensions.Logging;

namespace Api.Tests.Auth.SigningKeys;

[Collection(nameof(SigningKeysTestGroup))]
public sealed class SlowIssuerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan IssuerDelay = TimeSpan.FromSeconds(8);

    [Fact]
    public async Task A_slow_issuer_is_cut_off_at_the_timeout_and_does_not_hold_requests_longer()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var api = await new ApiFactory(issuer, Keys.Settings(timeout: Timeout)).StartAndWaitUntilReadyAsync();
        using var client = api.CreateClient();
        var rotated = SigningKey.CreateRsa();
        issuer.Publish(rotated);
        var rotatedToken = api.Tokens.Create(t => t.SignedWith(rotated));
        var knownToken = api.Tokens.Create();
        var discoveryBefore = issuer.DiscoveryRequests;
        issuer.ResponseDelay = IssuerDelay;

        // The new key's request waits for a refresh, which the timeout ends.
        var waited = Stopwatch.StartNew();
        var waiting = Keys.GetAsync(client, "/api/private", rotatedToken);

        // While that refresh waits for the issuer, a known key waits for nothing.
        await Keys.EventuallyAsync(() => Task.FromResult(issuer.DiscoveryRequests > discoveryBefore), Timeout, "the refresh started");
        var knownAnswer = await Keys.GetAsync(client, "/api/private", knownToken);
        var refreshStillRunning = !waiting.IsCompleted;
        var waitingAnswer = await waiting;
        waited.Stop();

        Assert.Equal((HttpStatusCode.OK, null), knownAnswer);
        Assert.True(refreshStillRunning, "the known-key request was answered only after the refresh ended");
        Assert.Equal((HttpStatusCode.Unauthorized, "unknown_kid"), waitingAnswer);
        Assert.InRange(waited.Elapsed, Timeout * 0.9, Timeout + TimeSpan.FromSeconds(1)); // cut at the timeout, not at the issuer's 8 s
        Assert.Equal(1, api.Logs.Count(LogLevel.Warning, "keeping the 1 last known good keys; retrying in the background: The issuer did not answer within 00:00:01 (Auth0:MetadataTimeout)"));
        Assert.Equal((HttpStatusCode.OK, null), await Keys.GetAsync(client, "/api/private", knownToken)); // last known good kept
        TestContext.Current.TestOutputHelper?.WriteLine($"timeout {Timeout.TotalMilliseconds} ms, issuer delay {IssuerDelay.TotalSeconds} s: unknown-kid request answered after {waited.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task The_timeout_bounds_discovery_and_jwks_together_not_each()
    {
        // Each document alone answers within the timeout; the two together do not, so a waiting
        // request would be held 1.4 s if each were timed on its own.
        await using var issuer = await TestIssuer.StartAsync();
        await using var api = await new ApiFactory(issuer, Keys.Settings(timeout: Timeout, cooldown: TimeSpan.FromSeconds(1)))
            .StartAndWaitUntilReadyAsync();
        using var client = api.CreateClient();
        var rotated = SigningKey.CreateRsa();
        issuer.Publish(rotated);
        var token = api.Tokens.Create(t => t.SignedWith(rotated));
        issuer.ResponseDelay = Timeout * 0.7;

        var cutOff = await Keys.GetAsync(client, "/api/private", token);

        Assert.Equal((HttpStatusCode.Unauthorized, "unknown_kid"), cutOff);
        issuer.ResponseDelay = TimeSpan.Zero;
        await Keys.EventuallyAsync(
            async () => (await Keys.GetAsync(client, "/api/private", token)).Status == HttpStatusCode.OK,
            TimeSpan.FromSeconds(5),
            "the new key is accepted once the issuer answers in time (after the cooldown)");
    }

    [Fact]
    public async Task A_request_during_a_slow_start_up_fetch_waits_for_it_and_gets_503_when_it_is_cut_off_then_200s_once_it_answers_in_time()
    {
        await using var issuer = await TestIssuer.StartAsync();
        issuer.ResponseDelay = IssuerDelay;
        await using var api = new ApiFactory(issuer, Keys.Settings(timeout: Timeout));
        var token = api.Tokens.Create();

        api.StartServer();
        using var client = api.CreateClient();
        await Keys.EventuallyAsync(() => Task.FromResult(issuer.DiscoveryRequests > 0), Timeout, "the start-up fetch started");
        var during = await Keys.GetAsync(client, "/api/private", token);
        var answeredAfterTheFetchEnded = api.Logs.Count(LogLevel.Warning, "Signing keys could not be obtained") == 1;

        Assert.Equal((HttpStatusCode.ServiceUnavailable, "keys_unavailable"), during);
        Assert.True(answeredAfterTheFetchEnded, "the request did not wait for the start-up fetch it arrived during");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await Keys.GetAsync(client, "/health/ready")).Status);

        issuer.ResponseDelay = TimeSpan.Zero;
        await Keys.EventuallyAsync(
            async () => (await Keys.GetAsync(client, "/health/ready")).Status == HttpStatusCode.OK,
            TimeSpan.FromSeconds(10),
            "ready once the issuer answers in time");
        Assert.Equal((HttpStatusCode.OK, null), await Keys.GetAsync(client, "/api/private", token));
        Assert.Equal(1, api.Logs.Count(LogLevel.Warning, "did not answer within 00:00:01 (Auth0:MetadataTimeout)"));
    }
}
