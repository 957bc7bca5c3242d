using System.Net;
using Api.Tests.TestKit;
using Microsoft.Extensions.Logging;
using static Api.Tests.TestKit.AuthorizationHeader;

namespace Api.Tests.Auth.SigningKeys;

/// <summary>
/// Forged tokens naming kids the issuer never published (README, "How keys are handled":
/// rotation): however many arrive, the issuer is asked at most once per
/// <c>Auth0:KeyRefreshCooldown</c>, counted on the API's test clock to the tick.
/// </summary>
[Collection(nameof(SigningKeysTestGroup))]
public sealed class UnknownKidFloodTests
{
    [Fact]
    public async Task Three_hundred_concurrent_tokens_with_random_unknown_kids_cause_one_jwks_fetch_per_cooldown()
    {
        await using var api = await Keys.StartApiAsync();
        var (issuer, clock, cooldown) = (api.Issuer, api.TestClock(), api.Auth0Options().KeyRefreshCooldown);
        clock.Advance(cooldown); // a flood comes a while after start-up
        using var client = api.CreateClient();
        var valid = api.Tokens.Create();
        var asked = (Discovery: issuer.DiscoveryRequests, Jwks: issuer.JwksRequests);

        // Two floods at the same instant: the first one's refresh is shared, the second meets the cooldown.
        await FloodAsync(client, api.Tokens, 300, valid);
        await FloodAsync(client, api.Tokens, 300, valid);

        Assert.Equal((asked.Discovery + 1, asked.Jwks + 1), (issuer.DiscoveryRequests, issuer.JwksRequests));
        Assert.Equal(1, api.Logs.Count(LogLevel.Information, "cooldown active"));

        // One tick short of the cooldown nothing more is asked; at the cooldown, once more.
        clock.Advance(cooldown - TimeSpan.FromTicks(1));
        await FloodAsync(client, api.Tokens, 50, valid);
        Assert.Equal(asked.Jwks + 1, issuer.JwksRequests);

        clock.Advance(TimeSpan.FromTicks(1));
        await FloodAsync(client, api.Tokens, 50, valid);
        Assert.Equal(asked.Jwks + 2, issuer.JwksRequests);
        Assert.Equal(0, api.Logs.Count(LogLevel.Information, "Signing keys changed"));
    }

    [Fact]
    public async Task Tokens_without_a_kid_are_refused_without_asking_the_issuer()
    {
        await using var api = await Keys.StartApiAsync();
        api.TestClock().Advance(api.Auth0Options().KeyRefreshCooldown);
        using var client = api.CreateClient();
        var asked = api.Issuer.JwksRequests;

        // Keys are found by kid only: no refresh could ever make such a token valid.
        var answers = await Task.WhenAll(Enumerable.Range(0, 20)
            .Select(_ => client.StatusAndReasonAsync("/api/private", Bearer(api.Tokens.Create(t => t.Header.Remove("kid"))))));

        Assert.All(answers, a => Assert.Equal((HttpStatusCode.Unauthorized, "unknown_kid"), a));
        Assert.Equal(asked, api.Issuer.JwksRequests);
    }

    /// <summary>
    /// <paramref name="count"/> tokens, each signed by the issuer's real key but naming a random
    /// kid, sent at once, with a valid token after every 15th that must keep getting 200.
    /// </summary>
    private static async Task FloodAsync(HttpClient client, TokenFactory tokens, int count, string valid)
    {
        var requests = Enumerable.Range(1, count + (count / 15))
            .Select(i => i % 16 == 0
                ? (Token: valid, Expected: (HttpStatusCode.OK, (string?)null))
                : (Token: tokens.Create(t => t.HeaderClaim("kid", Guid.NewGuid().ToString("N"))), Expected: (HttpStatusCode.Unauthorized, "unknown_kid")))
            .ToArray();
        var answers = await Task.WhenAll(requests.Select(r => client.StatusAndReasonAsync("/api/private", Bearer(r.Token))));
        Assert.All(requests.Zip(answers), r => Assert.Equal(r.First.Expected, r.Second));
    }
}
