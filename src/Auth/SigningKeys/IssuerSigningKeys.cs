using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Api.Auth.SigningKeys;

/// <summary>
/// The issuer's discovery document and JWKS, held in memory and handed to JwtBearer as its
/// configuration manager.
/// <para>
/// Kept from IdentityModel: fetching and parsing (<see cref="OpenIdConnectConfigurationRetriever"/>,
/// <see cref="HttpDocumentRetriever"/> with its https rule and its one retry on 408/503), and the
/// ideas of its <c>ConfigurationManager</c>: a last-known-good configuration that a failed refresh
/// never replaces, a periodic refresh, and a minimum interval between refreshes asked for by an
/// unknown key (JwtBearer's <c>RefreshOnIssuerKeyNotFound</c>).
/// </para>
/// <para>
/// Added, because <c>ConfigurationManager</c> (8.19) lacks it: keys fetched before the first request
/// with a readiness signal (it fetches on the first request, and while it holds nothing every
/// request makes its own fetch, so an outage at start-up multiplies into a flood to the issuer); an
/// unknown <c>kid</c> answered by a refresh the same request waits for (its <c>RequestRefresh</c>
/// only lets a later request see the new key, so the first one fails); one fetch shared by all
/// concurrent callers with a cooldown between unknown-key refreshes; a time limit on the whole
/// fetch (it has none, and <see cref="HttpDocumentRetriever"/> does not pass the cancellation token
/// to <c>HttpClient.SendAsync</c>); and an explicit "no keys yet" state so an outage is answered
/// 503, not reported as a bad token.
/// </para>
/// </summary>
public sealed partial class IssuerSigningKeys(
    IOptions<Auth0Options> options,
    IHttpClientFactory httpClients,
    TimeProvider time,
    AuthMetrics metrics,
    ILogger<IssuerSigningKeys> logger) : IConfigurationManager<OpenIdConnectConfiguration>
{
    public const string HttpClientName = "Auth0.Metadata";

    // Guards the fetch state below, so that "the fetch finished" and "its keys are current" are
    // one step for any request looking at them. `current` is written under it but volatile, so
    // the read on every request takes no lock.
    private readonly Lock sync = new();
    private volatile Task<OpenIdConnectConfiguration>? current;
    private Task<OpenIdConnectConfiguration?>? inflight;
    private DateTimeOffset lastUnknownKeyRefresh = DateTimeOffset.MinValue;
    private DateTimeOffset cooldownReportedAt = DateTimeOffset.MinValue;
    private int failedAttempts;

    private long nextAttemptAtTicks;

    /// <summary>True once keys have been obtained; they are then kept through any later failure.</summary>
    public bool HasKeys => current is not null;

    /// <summary>The configuration (issuer and keys) tokens are checked against now; null before the first fetch.</summary>
    public OpenIdConnectConfiguration? Current => current?.Result;

    /// <summary>When the next background attempt is due, for <c>Retry-After</c> while there are no keys.</summary>
    public DateTimeOffset NextAttemptAt
    {
        get => new(Interlocked.Read(ref nextAttemptAtTicks), TimeSpan.Zero);
        set => Interlocked.Exchange(ref nextAttemptAtTicks, value.UtcTicks);
    }

    public TimeSpan RetryAfter => NextAttemptAt - time.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.FromSeconds(1);

    /// <summary>Never fetches: keys come from start-up and refreshes, so a request is never held by the issuer.</summary>
    public Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel) =>
        current ?? throw new SigningKeysUnavailableException();

    /// <summary>
    /// JwtBearer's own unknown-key hook (unused: <c>RefreshOnIssuerKeyNotFound</c> is off because
    /// <see cref="Auth0TokenHandler"/> waits for the refresh instead); held to the same cooldown.
    /// </summary>
    public void RequestRefresh() => _ = RefreshForUnknownKeyAsync(null, CancellationToken.None);

    /// <summary>Fetches now, or joins the fetch already running. Null when it failed.</summary>
    public Task<OpenIdConnectConfiguration?> RefreshAsync()
    {
        lock (sync)
        {
            return inflight ??= Task.Run(FetchAndStoreAsync);
        }
    }

    /// <summary>
    /// A token named <paramref name="keyId"/>, which the keys it was checked against lack. If the
    /// keys held now have it (another request's refresh brought it meanwhile) they are returned
    /// without a fetch; otherwise this joins the running fetch, or starts one at most once per
    /// <see cref="Auth0Options.KeyRefreshCooldown"/> however many such tokens arrive. Returns the
    /// keys to re-check with, or null if no fetch was allowed or it failed.
    /// </summary>
    public async Task<OpenIdConnectConfiguration?> RefreshForUnknownKeyAsync(string? keyId, CancellationToken cancel)
    {
        Task<OpenIdConnectConfiguration?> fetch;
        lock (sync)
        {
            if (keyId is not null && current?.Result is { } held && Holds(held, keyId))
            {
                return held;
            }

            if (inflight is null)
            {
                var now = time.GetUtcNow();
                var cooldown = options.Value.KeyRefreshCooldown;
                if (now - lastUnknownKeyRefresh < cooldown)
                {
                    if (cooldownReportedAt < lastUnknownKeyRefresh)
                    {
                        cooldownReportedAt = now;
                        LogCooldown(logger, lastUnknownKeyRefresh + cooldown);
                    }

                    return null;
                }

                lastUnknownKeyRefresh = now;
                inflight = Task.Run(FetchAndStoreAsync);
            }

            fetch = inflight;
        }

        return await fetch.WaitAsync(cancel).ConfigureAwait(false);
    }

    /// <summary>Whether <paramref name="configuration"/> has a signing key named <paramref name="keyId"/>.</summary>
    public static bool Holds(OpenIdConnectConfiguration configuration, string keyId) =>
        configuration.SigningKeys.Any(k => string.Equals(k.KeyId, keyId, StringComparison.Ordinal));

    private async Task<OpenIdConnectConfiguration?> FetchAndStoreAsync()
    {
        OpenIdConnectConfiguration? fetched = null;
        Exception? failure = null;
        try
        {
            fetched = await FetchAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            failure = e;
        }

        metrics.KeyRefresh(succeeded: fetched is not null);

        OpenIdConnectConfiguration? previous;
        int failedBefore;
        lock (sync)
        {
            previous = current?.Result;
            failedBefore = failedAttempts;
            failedAttempts = fetched is null ? failedAttempts + 1 : 0;
            if (fetched is not null)
            {
                current = Task.FromResult(fetched);
            }

            inflight = null;
        }

        if (fetched is null)
        {
            ReportFailure(previous, failedBefore + 1, failure!);
        }
        else
        {
            ReportSuccess(previous, fetched, failedBefore);
        }

        return fetched;
    }

    private void ReportSuccess(OpenIdConnectConfiguration? previous, OpenIdConnectConfiguration fetched, int failedBefore)
    {
        var keyIds = string.Join(",", fetched.SigningKeys.Select(k => k.KeyId));
        if (previous is null)
        {
            LogObtained(logger, failedBefore + 1, fetched.SigningKeys.Count, keyIds);
            return;
        }

        if (failedBefore > 0)
        {
            LogRecovered(logger, failedBefore);
        }

        if (!SameKeys(previous, fetched))
        {
            LogKeysChanged(logger, fetched.SigningKeys.Count, keyIds);
        }
    }

    /// <summary>An outage is one event: its first failed attempt is a warning, the retries are debug noise.</summary>
    private void ReportFailure(OpenIdConnectConfiguration? kept, int attempt, Exception failure)
    {
        var reason = failure is TimeoutException ? failure.Message : failure.GetBaseException().Message;
        if (attempt > 1)
        {
            LogStillFailing(logger, attempt, reason);
        }
        else if (kept is not null)
        {
            LogRefreshFailed(logger, kept.SigningKeys.Count, reason);
        }
        else
        {
            LogNoKeys(logger, options.Value.Authority, reason);
        }
    }

    private async Task<OpenIdConnectConfiguration> FetchAsync()
    {
        var settings = options.Value;
        var authority = settings.Authority!;
        using var timeout = new CancellationTokenSource(settings.MetadataTimeout, time);
        var retriever = new HttpDocumentRetriever(httpClients.CreateClient(HttpClientName))
        {
            RequireHttps = authority.Scheme == Uri.UriSchemeHttps,
        };

        OpenIdConnectConfiguration configuration;
        try
        {
            // The time limit is for discovery and JWKS together, which is what a waiting request
            // sees. WaitAsync enforces it because HttpDocumentRetriever never hands the token to
            // HttpClient; the client's own Timeout (the same value) ends the abandoned request.
            configuration = await OpenIdConnectConfigurationRetriever
                .GetAsync(new Uri(authority, ".well-known/openid-configuration").AbsoluteUri, retriever, timeout.Token)
                .WaitAsync(timeout.Token)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (timeout.IsCancellationRequested || e.GetBaseException() is TimeoutException)
        {
            // HttpClient's Timeout (the same value) may fire a moment before our own: the same event.
            throw new TimeoutException($"The issuer did not answer within {settings.MetadataTimeout} (Auth0:MetadataTimeout).", e);
        }

        if (configuration.SigningKeys.Count == 0)
        {
            throw new InvalidOperationException($"The JWKS at '{configuration.JwksUri}' holds no signing keys.");
        }

        // One place decides the expected issuer: the configured one, else the discovery document's.
        if (!string.IsNullOrEmpty(settings.Issuer))
        {
            configuration.Issuer = settings.Issuer;
        }

        return configuration;
    }

    private static bool SameKeys(OpenIdConnectConfiguration a, OpenIdConnectConfiguration b) =>
        a.SigningKeys.Select(k => k.KeyId).Order(StringComparer.Ordinal)
            .SequenceEqual(b.SigningKeys.Select(k => k.KeyId).Order(StringComparer.Ordinal));

    [LoggerMessage(Level = LogLevel.Information, Message = "Signing keys obtained after {Attempts} attempt(s): {KeyCount} keys ({KeyIds})")]
    private static partial void LogObtained(ILogger logger, int attempts, int keyCount, string keyIds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Signing keys changed: {KeyCount} keys ({KeyIds})")]
    private static partial void LogKeysChanged(ILogger logger, int keyCount, string keyIds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Signing keys fetched again after {FailedAttempts} failed attempt(s)")]
    private static partial void LogRecovered(ILogger logger, int failedAttempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Signing key refresh failed, keeping the {KeyCount} last known good keys; retrying in the background: {Reason}")]
    private static partial void LogRefreshFailed(ILogger logger, int keyCount, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Signing keys could not be obtained from {Authority}; requests with a token are answered 503 until they are, retrying in the background: {Reason}")]
    private static partial void LogNoKeys(ILogger logger, Uri? authority, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Signing key fetch still failing (attempt {Attempt}): {Reason}")]
    private static partial void LogStillFailing(ILogger logger, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Token with an unknown signing key seen; key refresh cooldown active until {Until}")]
    private static partial void LogCooldown(ILogger logger, DateTimeOffset until);
}
