namespace Api.Auth.SigningKeys;

/// <summary>
/// What the key store logs: one line per event, never one per request. An outage is one event:
/// its first failure and each change in how it fails are warnings, its retries debug noise, and
/// its end says how long it lasted and what failed.
/// </summary>
internal sealed partial class SigningKeyStore
{
    private void ReportSuccess(IssuerKeySet? previous, IssuerKeySet fetched, Outage? ended)
    {
        if (previous is null)
        {
            LogObtained(logger, (ended?.Attempts ?? 0) + 1, Issuer.Issuer, fetched.Keys.Count, fetched.KeyIds);
        }
        else if (ended is not null)
        {
            var lasted = time.GetUtcNow() - ended.Since;
            var failures = ended.Describe();
            LogRecovered(logger, ended.Attempts, Issuer.Issuer, lasted, failures);
        }

        if (previous is not null && !previous.SameKeysAs(fetched))
        {
            LogKeysChanged(logger, fetched.Keys.Count, fetched.KeyIds, Issuer.Issuer);
        }
    }

    private void ReportFailure(IssuerKeySet? kept, Outage? before, Outage now, KeyFetchException failure)
    {
        if (before is null)
        {
            if (kept is not null)
            {
                LogRefreshFailed(logger, Issuer.Issuer, failure.Kind, kept.Keys.Count, failure.Message);
            }
            else
            {
                LogNoKeys(logger, Issuer.Authority, failure.Kind, failure.Message);
            }
        }
        else if (before.LastKind != failure.Kind)
        {
            LogFailingDifferently(logger, Issuer.Issuer, before.LastKind, failure.Kind, now.Attempts, failure.Message);
        }
        else
        {
            LogStillFailing(logger, Issuer.Issuer, now.Attempts, failure.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Signing keys obtained after {Attempts} attempt(s) from {Issuer}: {KeyCount} keys ({KeyIds})")]
    private static partial void LogObtained(ILogger logger, int attempts, string issuer, int keyCount, string keyIds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Signing keys changed: {KeyCount} keys ({KeyIds}) at {Issuer}")]
    private static partial void LogKeysChanged(ILogger logger, int keyCount, string keyIds, string issuer);

    [LoggerMessage(Level = LogLevel.Information, Message = "Signing keys fetched again after {FailedAttempts} failed attempt(s) from {Issuer}: the outage lasted {Duration} and failed with {Failures}")]
    private static partial void LogRecovered(ILogger logger, int failedAttempts, string issuer, TimeSpan duration, string failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Signing key refresh from {Issuer} failed ({Failure}), keeping the {KeyCount} last known good keys; retrying in the background: {Reason}")]
    private static partial void LogRefreshFailed(ILogger logger, string issuer, KeyFetchFailure failure, int keyCount, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Signing keys could not be obtained from {Authority} ({Failure}); requests with its tokens are answered 503 until they are, retrying in the background: {Reason}")]
    private static partial void LogNoKeys(ILogger logger, Uri authority, KeyFetchFailure failure, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Signing key fetch from {Issuer} now fails differently, {PreviousFailure} then {Failure} (attempt {Attempt}): {Reason}")]
    private static partial void LogFailingDifferently(ILogger logger, string issuer, KeyFetchFailure previousFailure, KeyFetchFailure failure, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Signing key fetch from {Issuer} still failing (attempt {Attempt}): {Reason}")]
    private static partial void LogStillFailing(ILogger logger, string issuer, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Token with an unknown signing key seen for {Issuer}; key refresh cooldown active until {Until}")]
    private static partial void LogCooldown(ILogger logger, string issuer, DateTimeOffset until);
}
