using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Api.Auth.SigningKeys;

/// <summary>
/// Keeps every issuer's keys fresh on a schedule: fetched once the server listens, retried with
/// backoff while the issuer is unreachable (the API starts anyway and answers 503 meanwhile), then
/// fetched again every <c>Auth0:KeyRefreshInterval</c>, or sooner when the JWKS response's
/// <c>Cache-Control: max-age</c> asks for it. The stores log the outcomes.
/// </summary>
internal sealed class SigningKeysRefresher(
    TrustedIssuers issuers,
    IOptions<Auth0Options> options,
    IHostApplicationLifetime lifetime,
    TimeProvider time) : BackgroundService
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The shortest max-age honoured: an issuer that asks for less (Auth0 sends <c>max-age=15</c>)
    /// still gets at most one scheduled fetch a minute from each instance.
    /// </summary>
    public static readonly TimeSpan ShortestRefresh = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<SigningKeyStore, DateTimeOffset> nextAttempts = new();

    /// <summary>When <paramref name="store"/> is fetched next on the schedule; null before its first fetch ended.</summary>
    public DateTimeOffset? NextAttemptAt(SigningKeyStore store) => nextAttempts.TryGetValue(store, out var at) ? at : null;

    /// <summary>How long until the next scheduled fetch of <paramref name="store"/>: what <c>Retry-After</c> says while it has no keys.</summary>
    public TimeSpan RetryAfter(SigningKeyStore store) =>
        NextAttemptAt(store) - time.GetUtcNow() is { } wait && wait > TimeSpan.Zero ? wait : TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // In Development the issuer is this very process (the dev issuer): asking before the server
        // listens would only fail and log an outage that is not one. Elsewhere this costs milliseconds.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
        }

        await Task.WhenAll(issuers.Stores.Select(store => KeepFreshAsync(store, stoppingToken))).ConfigureAwait(false);
    }

    private async Task KeepFreshAsync(SigningKeyStore store, CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var keys = await store.RefreshAsync().WaitAsync(stoppingToken).ConfigureAwait(false);
            failures = keys is null ? failures + 1 : 0;
            var wait = keys is null ? Backoff(failures, keysHeld: store.Current is not null) : Regular(keys);
            var due = time.GetUtcNow() + wait;
            // Armed before it is published: whoever reads NextAttemptAt (a test moving its clock
            // there) finds the wait already counting, never one armed later from a moved clock.
            var delay = Task.Delay(wait, time, stoppingToken);
            nextAttempts[store] = due;
            await delay.ConfigureAwait(false);
        }
    }

    /// <summary>The interval, shortened to the JWKS's max-age (never below <see cref="ShortestRefresh"/>) so a withdrawn key stops working when the issuer says.</summary>
    private TimeSpan Regular(IssuerKeySet keys)
    {
        var interval = options.Value.KeyRefreshInterval;
        if (keys.MaxAge is not { } maxAge || maxAge >= interval)
        {
            return interval;
        }

        var wait = maxAge > ShortestRefresh ? maxAge : ShortestRefresh;
        return wait < interval ? wait : interval;
    }

    /// <summary>0.25 s doubling to 30 s; with keys held, never longer than the regular refresh would wait.</summary>
    private TimeSpan Backoff(int failures, bool keysHeld)
    {
        var wait = FirstRetry * Math.Pow(2, Math.Min(failures - 1, 16));
        wait = wait < MaxRetry ? wait : MaxRetry;
        return keysHeld && wait > options.Value.KeyRefreshInterval ? options.Value.KeyRefreshInterval : wait;
    }
}
