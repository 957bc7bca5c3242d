using System.Diagnostics;
using System.Net;
using Api.Tests.TestKit;
using Microsoft.Extensions.Logging;

namespace Api.Tests.Auth.SigningKeys;

[Collection(nameof(SigningKeysTestGroup))]
public sealed class UnknownKidFloodTests
{
    private static readonly TimeSpan Cooldown = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Three_hundred_concurrent_tokens_with_random_unknown_kids_cause_at_most_one_jwks_fetch_per_cooldown()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var api = await new ApiFactory(issuer, Keys.Settings(cooldown: Cooldown)).StartAndWaitUntilReadyAsync();
        using var client = api.CreateClient();
        var valid = api.Tokens.Create();
        issuer.ResetCounters();
        var started = Stopwatch.StartNew();

        // Two floods back to back: the first one's refresh is shared, the second meets the cooldown.
        var first = await FloodAsync(client, api.Tokens, 300, valid);
        var second = await FloodAsync(client, api.Tokens, 300, valid);
        var windows = CooldownWindows(started.Elapsed);

        Assert.All(first.Concat(second), r => Assert.Equal(r.Expected, r.Actual));
        Assert.InRange(issuer.JwksRequests, 1, windows);
        Assert.Equal(issuer.JwksRequests, issuer.DiscoveryRequests);
        var cooldownLines = api.Logs.Count(LogLevel.Information, "cooldown active");
        Assert.InRange(cooldownLines, 1, issuer.JwksRequests);
        var afterTwoFloods = $"2 x 300 unknown-kid tokens (+40 valid) in {started.Elapsed.TotalSeconds:F1} s: {issuer.JwksRequests} JWKS fetch(es), {cooldownLines} cooldown log line(s)";

        // Once the cooldown is over, an unknown kid may refresh again (once).
        var fetchesBefore = issuer.JwksRequests;
        await Task.Delay(Cooldown, Keys.Cancel);
        var restarted = Stopwatch.StartNew();
        var third = await FloodAsync(client, api.Tokens, 300, valid);

        Assert.All(third, r => Assert.Equal(r.Expected, r.Actual));
        Assert.InRange(issuer.JwksRequests - fetchesBefore, 1, CooldownWindows(restarted.Elapsed));
        Assert.Equal(0, api.Logs.Count(LogLevel.Information, "Signing keys changed"));
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{afterTwoFloods}; after the cooldown, 300 more unknown kids: {issuer.JwksRequests - fetchesBefore} more JWKS fetch(es), " +
            $"{api.Logs.Count(LogLevel.Information, "cooldown active")} cooldown log lines");
    }

    [Fact]
    public async Task Tokens_without_a_kid_are_refused_without_asking_the_issuer()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var api = await new ApiFactory(issuer, Keys.Settings()).StartAndWaitUntilReadyAsync();
        using var client = api.CreateClient();
        issuer.ResetCounters();

        // Keys are found by kid only: no refresh could ever make such a token valid.
        var answers = await Task.WhenAll(Enumerable.Range(0, 20)
            .Select(_ => Keys.GetAsync(client, "/api/private", api.Tokens.Create(t => t.Header.Remove("kid")))));

        Assert.All(answers, a => Assert.Equal((HttpStatusCode.Unauthorized, "unknown_kid"), a));
        Assert.Equal(0, issuer.JwksRequests);
    }

    private static int CooldownWindows(TimeSpan elapsed) => (int)Math.Ceiling(elapsed / Cooldown);

    /// <summary>
    /// <paramref name="count"/> tokens, each signed by the issuer's real key but naming a random
    /// kid, sent at once, with a valid token after every 15th that must keep getting 200.
    /// </summary>
    private static async Task<(object Expected, object Actual)[]> FloodAsync(HttpClient client, TokenFactory tokens, int count, string valid)
    {
        var requests = Enumerable.Range(1, count + (count / 15))
            .Select(i => i % 16 == 0
                ? (Token: valid, Expected: (HttpStatusCode.OK, (string?)null))
                : (Token: tokens.Create(t => t.HeaderClaim("kid", Guid.NewGuid().ToString("N"))), Expected: (HttpStatusCode.Unauthorized, "unknown_kid")))
            .ToArray();
        var answers = await Task.WhenAll(requests.Select(r => Keys.GetAsync(client, "/api/private", r.Token)));
        return [.. requests.Zip(answers, (r, a) => ((object)r.Expected, (object)a))];
    }
}
