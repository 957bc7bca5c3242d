using Api.Auth.SigningKeys;
using Api.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Api.Tests.TestKit;

/// <summary>
/// What <see cref="ApiFactory"/>'s <c>clock</c> promises, checked against the API itself: the API
/// registers <c>TimeProvider.System</c> only if nothing else did, so a test's clock must be the one
/// every part of it reads and waits on.
/// </summary>
public sealed class ApiClockTests
{
    [Fact]
    public async Task An_API_on_a_test_clock_schedules_and_runs_its_periodic_key_refresh_on_that_clock()
    {
        var clock = ApiFactory.ClockStartingNow();
        await using var api = await ApiFactory.StartWithOwnIssuerAsync(clock: clock);
        var store = Assert.Single(api.Services.GetRequiredService<TrustedIssuers>().Stores);
        var schedule = api.Services.GetRequiredService<SigningKeysRefresher>();
        var interval = api.Services.GetRequiredService<IOptions<Auth0Options>>().Value.KeyRefreshInterval;
        var fetchesAtStart = api.Issuer.JwksRequests;

        Assert.Same(clock, api.Services.GetRequiredService<TimeProvider>());
        await Eventually.HoldsAsync(
            () => schedule.NextAttemptAt(store) == clock.GetUtcNow() + interval,
            "the next refresh was scheduled one KeyRefreshInterval after the test clock's now");

        // The refresher publishes the next attempt only once its wait is armed, so one move of
        // the clock is enough. On the system clock the refresh would come long after the guard.
        clock.Advance(interval);
        await Eventually.HoldsAsync(
            () => api.Issuer.JwksRequests > fetchesAtStart,
            "a key refresh once the test clock moved on by the refresh interval");
    }
}
