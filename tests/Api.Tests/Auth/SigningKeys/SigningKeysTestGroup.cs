using System.Globalization;
using Api.Auth;
using Api.Auth.SigningKeys;
using Api.Tests.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Api.Tests.Auth.SigningKeys;

/// <summary>
/// These tests each start an issuer and an API of their own and break the issuer on purpose; one
/// at a time is enough. Nothing in them depends on how fast the machine is: every API runs on a
/// test clock that moves only when the test moves it, and the tests wait for events (a request
/// held at the issuer, the next fetch armed, a log line), never for time to pass.
/// </summary>
[CollectionDefinition(nameof(SigningKeysTestGroup))]
public sealed class SigningKeysTestGroup;

/// <summary>Settings, starting and the test clock shared by the signing-key tests.</summary>
internal static class Keys
{
    /// <summary>
    /// The shipped key settings, changed only where given, plus debug logs from the key store so
    /// that repeated failures are visible to <c>ApiFactory.Logs</c>.
    /// </summary>
    public static Dictionary<string, string?> Settings(TimeSpan? cooldown = null, TimeSpan? interval = null, TimeSpan? timeout = null)
    {
        var settings = new Dictionary<string, string?> { ["Logging:LogLevel:Api.Auth.SigningKeys"] = "Debug" };
        Set("Auth0:KeyRefreshCooldown", cooldown);
        Set("Auth0:KeyRefreshInterval", interval);
        Set("Auth0:MetadataTimeout", timeout);
        return settings;

        void Set(string key, TimeSpan? value)
        {
            if (value is { } given)
            {
                settings[key] = given.ToString("c", CultureInfo.InvariantCulture);
            }
        }
    }

    /// <summary>An issuer and an API of their own, the API on a test clock standing still at the real now; started and ready.</summary>
    public static Task<ApiFactory> StartApiAsync(IReadOnlyDictionary<string, string?>? settings = null, Action<TestIssuer>? prepareIssuer = null) =>
        ApiFactory.StartWithOwnIssuerAsync(settings ?? Settings(), ApiFactory.ClockStartingNow(), prepareIssuer);

    /// <summary>An API on a test clock, not started: for a test that watches what happens while it starts.</summary>
    public static ApiFactory CreateApi(TestIssuer issuer, Action<IServiceCollection>? testServices = null) =>
        new(issuer, Settings(), clock: ApiFactory.ClockStartingNow()) { TestServices = testServices };

    public static FakeTimeProvider TestClock(this ApiFactory api) =>
        api.Clock ?? throw new InvalidOperationException("This API runs on the system clock; start it with ApiFactory.ClockStartingNow().");

    public static Auth0Options Auth0Options(this ApiFactory api) => api.Services.GetRequiredService<IOptions<Auth0Options>>().Value;

    /// <summary>The API's one key store: the issuer it was started with.</summary>
    public static SigningKeyStore KeyStore(this ApiFactory api) => Assert.Single(api.Services.GetRequiredService<TrustedIssuers>().Stores);

    /// <summary>
    /// When the next scheduled fetch is due, once a fetch has ended and the next one is armed; with
    /// <paramref name="after"/>, the one armed after the fetch due then. The refresher publishes the
    /// time only once its wait is counting, so the clock may be moved there at once.
    /// </summary>
    public static async Task<DateTimeOffset> NextRefreshAsync(this ApiFactory api, DateTimeOffset? after = null)
    {
        var schedule = api.Services.GetRequiredService<SigningKeysRefresher>();
        var store = api.KeyStore();
        DateTimeOffset? next = null;
        await Eventually.HoldsAsync(
            () => (next = schedule.NextAttemptAt(store)) is { } at && (after is null || at > after),
            after is null ? "a key fetch ended and the next one was scheduled" : $"the fetch due at {after:O} ended and the next one was scheduled",
            explain: () => $"The next fetch is due at {next:O}.");
        return next!.Value;
    }

    /// <summary>
    /// Moves the test clock to the next scheduled fetch and waits until that fetch has ended (its
    /// outcome stored and logged, the one after it armed); returns when that one is due.
    /// </summary>
    public static async Task<DateTimeOffset> RunScheduledRefreshAsync(this ApiFactory api)
    {
        var clock = api.TestClock();
        var due = await api.NextRefreshAsync();
        if (due > clock.GetUtcNow())
        {
            clock.Advance(due - clock.GetUtcNow());
        }

        return await api.NextRefreshAsync(after: due);
    }

    /// <summary>The answer of a request the test let wait, with a guard so a request that never ends fails the test instead of hanging it.</summary>
    public static Task<T> AnsweredAsync<T>(this Task<T> answer) =>
        answer.WaitAsync(Eventually.DefaultGuard, TestContext.Current.CancellationToken);
}
