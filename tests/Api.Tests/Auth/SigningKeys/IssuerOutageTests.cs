using System.Net;
using Api.Auth.SigningKeys;
using Api.Tests.TestKit;
using Microsoft.AspNetCore.Http;
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

    [Fact]
    public async Task An_outage_logs_one_warning_per_way_of_failing_debug_for_repeats_and_one_line_saying_how_long_it_lasted()
    {
        await using var api = await Keys.StartApiAsync();
        var (issuer, clock) = (api.Issuer, api.TestClock());
        var linesBefore = StoreLines(api).Count;

        await issuer.StopAsync();
        await api.RunScheduledRefreshAsync();
        var began = clock.GetUtcNow();
        await api.RunScheduledRefreshAsync();

        await issuer.StartAsync();
        issuer.Jwks = new JwksAnswer(Status: StatusCodes.Status500InternalServerError);
        await api.RunScheduledRefreshAsync();
        await api.RunScheduledRefreshAsync();

        issuer.Jwks = new JwksAnswer(Body: "<html>Service Unavailable</html>");
        await api.RunScheduledRefreshAsync();

        issuer.Jwks = JwksAnswer.PublishedKeys;
        issuer.JwksGate.Hold();
        await RunScheduledRefreshCutOffAsync(api);
        issuer.JwksGate.Release();

        // A well-formed JWKS with no key at all is a failure too, not "all keys withdrawn".
        issuer.Jwks = JwksAnswer.EmptyKeySet;
        await api.RunScheduledRefreshAsync();
        Assert.Equal((HttpStatusCode.OK, null), await api.StatusAndReasonAsync("/api/private", Bearer(api.Tokens.Create())));
        Assert.Equal((HttpStatusCode.OK, null), await api.StatusAndReasonAsync("/health/ready", authorization: null));

        issuer.Jwks = JwksAnswer.PublishedKeys;
        await api.RunScheduledRefreshAsync();
        var ended = clock.GetUtcNow();

        (LogLevel Level, string Says)[] expected =
        [
            (LogLevel.Warning, "failed (Unreachable), keeping the 1 last known good keys"),
            (LogLevel.Debug, "still failing (attempt 2)"),
            (LogLevel.Warning, "now fails differently, Unreachable then HttpStatus (attempt 3)"),
            (LogLevel.Debug, "still failing (attempt 4)"),
            (LogLevel.Warning, "now fails differently, HttpStatus then NotJson (attempt 5)"),
            (LogLevel.Warning, "now fails differently, NotJson then Timeout (attempt 6)"),
            (LogLevel.Warning, "now fails differently, Timeout then NoKeys (attempt 7)"),
            (LogLevel.Information, "fetched again after 7 failed attempt(s)"),
        ];
        var lines = StoreLines(api).Skip(linesBefore).ToList();
        Assert.True(
            lines.Count == expected.Length && lines.Zip(expected).All(p => p.First.Level == p.Second.Level && p.First.Message.Contains(p.Second.Says, StringComparison.Ordinal)),
            $"Logged:\n{string.Join('\n', lines.Select(l => $"{l.Level}: {l.Message}"))}");
        var recovered = lines[^1];
        Assert.Equal(ended - began, recovered["Duration"]);
        Assert.Equal("Unreachable, HttpStatus, NotJson, Timeout, NoKeys", recovered["Failures"]);
        Assert.Equal(0, api.Logs.Count(LogLevel.Information, "Signing keys changed")); // the same keys came back
    }

    private static IReadOnlyList<LogLine> StoreLines(ApiFactory api) =>
        [.. api.Logs.All.Where(l => l.Category == typeof(SigningKeyStore).FullName)];

    /// <summary>Runs the next scheduled fetch against an issuer holding its JWKS answer, and cuts it off at <c>Auth0:MetadataTimeout</c>.</summary>
    private static async Task RunScheduledRefreshCutOffAsync(ApiFactory api)
    {
        var clock = api.TestClock();
        var due = await api.NextRefreshAsync();
        clock.Advance(due - clock.GetUtcNow());
        await Eventually.HoldsAsync(() => api.Issuer.JwksGate.Held == 1, "the scheduled fetch is waiting for the JWKS");
        clock.Advance(api.Auth0Options().MetadataTimeout);
        await api.NextRefreshAsync(after: due);
    }
}
