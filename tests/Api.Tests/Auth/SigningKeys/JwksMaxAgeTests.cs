using System.Net;
using Api.Tests.TestKit;
using Microsoft.Extensions.Logging;
using static Api.Tests.TestKit.AuthorizationHeader;

namespace Api.Tests.Auth.SigningKeys;

/// <summary>
/// The JWKS response's <c>Cache-Control</c> says how soon a withdrawn key must stop working
/// (README, "How keys are handled": periodic refresh): the next scheduled fetch comes after its
/// <c>max-age</c>, but never sooner than a minute nor later than <c>Auth0:KeyRefreshInterval</c>.
/// </summary>
[Collection(nameof(SigningKeysTestGroup))]
public sealed class JwksMaxAgeTests
{
    [Theory]
    [InlineData("max-age=120", 120)] // as the issuer asks
    [InlineData("public, max-age=15", 60)] // Auth0's own value: at most one scheduled fetch a minute
    [InlineData("max-age=0", 60)]
    [InlineData("no-store", 60)] // "do not keep it": as soon as allowed
    [InlineData("no-cache", 60)]
    [InlineData("max-age=86400", 600)] // longer than the interval: the interval
    [InlineData(null, 600)] // no Cache-Control: the interval, 10 minutes by default
    public async Task The_next_key_refresh_comes_after_the_JWKS_max_age_but_not_sooner_than_a_minute_nor_later_than_KeyRefreshInterval(
        string? cacheControl, int seconds)
    {
        await using var api = await Keys.StartApiAsync(prepareIssuer: issuer =>
            issuer.Jwks = cacheControl is null ? JwksAnswer.PublishedKeys : JwksAnswer.WithCacheControl(cacheControl));
        var clock = api.TestClock();
        var fetchedAt = clock.GetUtcNow(); // the clock has stood still since start-up

        var due = await api.NextRefreshAsync();
        Assert.Equal(TimeSpan.FromSeconds(seconds), due - fetchedAt);

        var fetches = api.Issuer.JwksRequests;
        clock.Advance(due - fetchedAt);
        await Eventually.HoldsAsync(() => api.Issuer.JwksRequests == fetches + 1, "the scheduled refresh asked for the JWKS once its time came");
    }

    [Fact]
    public async Task A_key_withdrawn_from_the_JWKS_is_refused_once_its_max_age_has_passed_not_only_after_KeyRefreshInterval()
    {
        await using var api = await Keys.StartApiAsync(prepareIssuer: issuer => issuer.Jwks = JwksAnswer.WithCacheControl("max-age=120"));
        var clock = api.TestClock();
        using var client = api.CreateClient();
        var withdrawnKeyToken = api.Tokens.Create();
        var rotated = SigningKey.CreateRsa();

        api.Issuer.Publish(rotated);
        api.Issuer.Withdraw(api.Issuer.SigningKey);
        Assert.Equal((HttpStatusCode.OK, null), await client.StatusAndReasonAsync("/api/private", Bearer(withdrawnKeyToken))); // until the keys are fetched again

        var due = await api.NextRefreshAsync();
        Assert.Equal(TimeSpan.FromMinutes(2), due - clock.GetUtcNow());
        await api.RunScheduledRefreshAsync();

        Assert.Equal(1, api.Logs.Count(LogLevel.Information, $"Signing keys changed: 1 keys ({rotated.KeyId})"));
        Assert.Equal((HttpStatusCode.Unauthorized, "unknown_kid"), await client.StatusAndReasonAsync("/api/private", Bearer(withdrawnKeyToken)));
        Assert.Equal((HttpStatusCode.OK, null), await client.StatusAndReasonAsync("/api/private", Bearer(api.Tokens.Create(t => t.SignedWith(rotated)))));
    }
}
