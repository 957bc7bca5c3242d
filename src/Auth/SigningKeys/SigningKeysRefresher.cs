using Microsoft.Extensions.Options;

namespace Api.Auth.SigningKeys;

/// <summary>
/// Obtains the signing keys at start-up, retrying with backoff while the issuer is unreachable
/// (the API starts anyway and answers 503 meanwhile), then refreshes them every
/// <see cref="Auth0Options.KeyRefreshInterval"/>. <see cref="IssuerSigningKeys"/> logs the outcomes.
/// </summary>
public sealed class SigningKeysRefresher(
    IssuerSigningKeys keys,
    IOptions<Auth0Options> options,
    IHostApplicationLifetime lifetime,
    TimeProvider time) : BackgroundService
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // In Development the issuer is this very process (the dev issuer): asking before the server
        // listens would only fail and log an outage that is not one. Elsewhere this costs milliseconds.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
        }

        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var refreshed = await keys.RefreshAsync().WaitAsync(stoppingToken).ConfigureAwait(false);
            TimeSpan wait;
            if (refreshed is not null)
            {
                failures = 0;
                wait = options.Value.KeyRefreshInterval;
            }
            else
            {
                // With keys held, a retry never waits longer than the regular refresh would.
                failures++;
                wait = Backoff(failures);
                if (keys.HasKeys && wait > options.Value.KeyRefreshInterval)
                {
                    wait = options.Value.KeyRefreshInterval;
                }
            }

            keys.NextAttemptAt = time.GetUtcNow() + wait;
            await Task.Delay(wait, time, stoppingToken).ConfigureAwait(false);
        }
    }

    private static TimeSpan Backoff(int failures)
    {
        var wait = FirstRetry * Math.Pow(2, Math.Min(failures - 1, 16));
        return wait < MaxRetry ? wait : MaxRetry;
    }
}
