using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Api.Auth.SigningKeys;

/// <summary>
/// The issuer's discovery document and JWKS, held in memory and handed to JwtBearer as its
/// configuration manager. Fetching and parsing are IdentityModel's
/// (<see cref="OpenIdConnectConfigurationRetriever"/>, <see cref="HttpDocumentRetriever"/>); what
/// its <c>ConfigurationManager</c> lacks is added here: keys fetched before the first request and
/// a readiness signal, an unknown <c>kid</c> answered by a refresh the same request waits for
/// (JwtBearer fails that request and refreshes in the background), one fetch shared by all
/// concurrent callers, a cooldown between such refreshes, a timeout per fetch, and an explicit
/// "no keys yet" state so an outage is not reported as a bad token.
/// </summary>
public sealed partial class IssuerSigningKeys(
    IOptions<Auth0Options> options,
    IHttpClientFactory httpClients,
    TimeProvider time,
    ILogger<IssuerSigningKeys> logger) : IConfigurationManager<OpenIdConnectConfiguration>
{
    public const string HttpClientName = "Auth0.Metadata";

    private readonly Lock sync = new();
    private Task<OpenIdConnectConfiguration>? current;
    private Task<OpenIdConnectConfiguration?>? inflight;
    private DateTimeOffset lastUnknownKeyRefresh = DateTimeOffset.MinValue;
    private DateTimeOffset cooldownReportedAt = DateTimeOffset.MinValue;

    /// <summary>True once keys have been obtained; they are then kept through any later failure.</summary>
    public bool HasKeys => current is not null;

    /// <summary>When the next background attempt is due, for <c>Retry-After</c> while there are no keys.</summary>
    public DateTimeOffset NextAttemptAt { get; set; }

    public TimeSpan RetryAfter => NextAttemptAt - time.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.FromSeconds(1);

    /// <summary>Never fetches: keys come from start-up and refreshes, so a request is never held by the issuer.</summary>
    public Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel) =>
        current ?? throw new SigningKeysUnavailableException();

    /// <summary>JwtBearer's own unknown-key refresh; routed through the same cooldown.</summary>
    public void RequestRefresh() => _ = RefreshForUnknownKeyAsync(CancellationToken.None);

    /// <summary>Fetches now, or joins the fetch already running. Null when it failed.</summary>
    public Task<OpenIdConnectConfiguration?> RefreshAsync()
    {
        lock (sync)
        {
            return inflight ??= Task.Run(FetchAndStoreAsync);
        }
    }

    /// <summary>
    /// A token named a <c>kid</c> we do not hold: refresh at most once per cooldown, however many
    /// such tokens arrive. Returns the new configuration, or null if no fetch was made or it failed.
    /// </summary>
    public async Task<OpenIdConnectConfiguration?> RefreshForUnknownKeyAsync(CancellationToken cancel)
    {
        Task<OpenIdConnectConfiguration?> fetch;
        lock (sync)
        {
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
            }

            fetch = inflight ??= Task.Run(FetchAndStoreAsync);
        }

        return await fetch.WaitAsync(cancel).ConfigureAwait(false);
    }

    private async Task<OpenIdConnectConfiguration?> FetchAndStoreAsync()
    {
        try
        {
            var fetched = await FetchAsync().ConfigureAwait(false);
            var previous = current?.Result;
            current = Task.FromResult(fetched);
            if (previous is null || !SameKeys(previous, fetched))
            {
                var keyIds = string.Join(",", fetched.SigningKeys.Select(k => k.KeyId));
                LogKeysRefreshed(logger, fetched.SigningKeys.Count, keyIds);
            }

            return fetched;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogRefreshFailed(logger, current?.Result.SigningKeys.Count ?? 0, e.GetType().Name, e.Message);
            return null;
        }
        finally
        {
            lock (sync)
            {
                inflight = null;
            }
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
        catch (Exception e) when (timeout.IsCancellationRequested)
        {
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Signing keys refreshed: {KeyCount} keys ({KeyIds})")]
    private static partial void LogKeysRefreshed(ILogger logger, int keyCount, string keyIds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Signing key refresh failed, keeping {KeyCount} last known keys: {ErrorType}: {ErrorMessage}")]
    private static partial void LogRefreshFailed(ILogger logger, int keyCount, string errorType, string errorMessage);

    [LoggerMessage(Level = LogLevel.Information, Message = "Unknown signing key seen; key refresh cooldown active until {Until}")]
    private static partial void LogCooldown(ILogger logger, DateTimeOffset until);
}
