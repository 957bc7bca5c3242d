using Api.Auth.SigningKeys;
using Microsoft.Extensions.DependencyInjection;

namespace Api.Tests.TestKit;

/// <summary>
/// What <see cref="ApiFactory"/>'s <c>clock</c> promises, checked against the API itself: the API
/// registers <c>TimeProvider.System</c> only if nothing else did, so a test's clock must be the one
/// every part of it reads and waits on.
/// </summary>
public sealed class ApiClockTests
{
    [Fact]
    public async Task An_API_on_a_test_clock_schedules_and_runs_its_hourly_key_refresh_on_that_clock()
    {
        var clock = ApiFactory.ClockStartingNow();
        await using var api = await ApiFactory.StartWithOwnIssuerAsync(clock: clock);
        var keys = api.Services.GetRequiredService<IssuerSigningKeys>();
        var fetchesAtStart = api.Issuer.JwksRequests;

        Assert.Same(clock, api.Services.GetRequiredService<TimeProvider>());
        await Eventually.HoldsAsync(
            () => keys.NextAttemptAt == clock.GetUtcNow() + TimeSpan.FromHours(1),
            "the next refresh was scheduled an hour after the test clock's now (KeyRefreshInterval's default)");

        // The wait is armed just after the schedule is written; a move of the clock in between
        // would go unseen, so the clock moves an hour at a time until the refresh comes. On the
        // system clock it would come in an hour, long after the guard.
        await Eventually.HoldsAsync(
            () =>
            {
                if (api.Issuer.JwksRequests > fetchesAtStart)
                {
                    return true;
                }

                clock.Advance(TimeSpan.FromHours(1));
                return false;
            },
            "a key refresh once the test clock moved on by the refresh interval");
    }
}
