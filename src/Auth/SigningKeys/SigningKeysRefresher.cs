using Microsoft.Extensions.Options;

namespace Api.Auth.SigningKeys;

/// <summary>
/// Obtains the signing keys at start-up, retrying with backoff while the issuer is unreachable
/// (the API starts anyway and answers 503 meanwhile), then refreshes them periodically.
/// </summary>
public sealed partial class SigningKeysRefresher(
    IssuerSigningKeys keys,
    IOptions<Auth0Options> options,
    TimeProvider time,
    ILogger<SigningKeysRefresher> logger) : BackgroundService
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        var obtained = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            var refreshed = await keys.RefreshAsync().WaitAsync(stoppingToken).ConfigureAwait(false);
            TimeSpan wait;
            if (refreshed is not null)
            {
                if (!obtained)
                {
                    obtained = true;
                    LogObtained(logger, failures + 1);
                }

                failures = 0;
                wait = options.Value.KeyRefreshInterval;
            }
            else
            {
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Signing keys obtained after {Attempts} attempt(s)")]
    private static partial void LogObtained(ILogger logger, int attempts);
}
