using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Api.Auth.SigningKeys;

/// <summary>
/// Fetches an issuer's discovery document and JWKS over HTTP. IdentityModel's
/// <c>HttpDocumentRetriever</c> is not used: it neither exposes the JWKS response's
/// <c>Cache-Control</c> (which says how soon a withdrawn key must stop working) nor passes the
/// cancellation token to <c>HttpClient</c>, and its errors do not say what failed. Parsing the
/// keys stays IdentityModel's (<see cref="JsonWebKeySet"/>).
/// </summary>
internal sealed class IssuerMetadataClient(IHttpClientFactory httpClients, IOptions<Auth0Options> options, TimeProvider time)
{
    public const string HttpClientName = "Auth0.Metadata";

    /// <summary>Far beyond any real JWKS (Auth0's is ~2 KB); a bound on what a broken issuer can make us buffer.</summary>
    public const long MaxDocumentBytes = 1024 * 1024;

    /// <summary>Discovery, then the JWKS it names, both within one <c>Auth0:MetadataTimeout</c>.</summary>
    /// <exception cref="KeyFetchException">Says what failed, by kind.</exception>
    public async Task<IssuerKeySet> FetchAsync(TrustedIssuer issuer, CancellationToken cancel)
    {
        var limit = options.Value.MetadataTimeout;
        using var timeout = new CancellationTokenSource(limit, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancel);
        var client = httpClients.CreateClient(HttpClientName);
        try
        {
            var discoveryUrl = new Uri(issuer.Authority, ".well-known/openid-configuration");
            var (discovery, _) = await GetAsync(client, discoveryUrl, linked.Token).ConfigureAwait(false);
            var jwksUri = JwksUriOf(issuer, discoveryUrl, discovery);
            var (jwks, maxAge) = await GetAsync(client, jwksUri, linked.Token).ConfigureAwait(false);
            return new IssuerKeySet(SigningKeysOf(jwksUri, jwks), maxAge);
        }
        catch (OperationCanceledException e) when (timeout.IsCancellationRequested)
        {
            throw new KeyFetchException(KeyFetchFailure.Timeout, $"The issuer did not answer within {limit} (Auth0:MetadataTimeout).", e);
        }
    }

    private static async Task<(string Body, TimeSpan? MaxAge)> GetAsync(HttpClient client, Uri url, CancellationToken cancel)
    {
        HttpResponseMessage response;
        try
        {
            response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw new KeyFetchException(KeyFetchFailure.Unreachable, $"{url} could not be reached: {e.Message}", e);
        }

        using (response)
        {
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new KeyFetchException(KeyFetchFailure.HttpStatus, $"{url} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}.");
            }

            if (response.Content.Headers.ContentLength > MaxDocumentBytes)
            {
                throw new KeyFetchException(KeyFetchFailure.NotJson, $"{url} answered {response.Content.Headers.ContentLength} bytes, more than a key document ever holds.");
            }

            try
            {
                var body = await response.Content.ReadAsStringAsync(cancel).ConfigureAwait(false);
                return (body, MaxAgeOf(response.Headers.CacheControl));
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                throw new KeyFetchException(KeyFetchFailure.Unreachable, $"{url} broke off its answer: {e.Message}", e);
            }
        }
    }

    /// <summary>RFC 9111 §5.2.2.1; <c>no-store</c> and <c>no-cache</c> mean "fetch again at the earliest".</summary>
    private static TimeSpan? MaxAgeOf(CacheControlHeaderValue? cacheControl) =>
        cacheControl is null ? null
            : cacheControl.NoStore || cacheControl.NoCache ? TimeSpan.Zero
            : cacheControl.MaxAge;

    private static Uri JwksUriOf(TrustedIssuer issuer, Uri discoveryUrl, string discovery)
    {
        string? named;
        string? jwksUri;
        try
        {
            using var document = JsonDocument.Parse(discovery);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new KeyFetchException(KeyFetchFailure.NotJson, $"{discoveryUrl} is not a JSON object.");
            }

            named = root.StringOf("issuer"u8);
            jwksUri = root.StringOf("jwks_uri"u8);
        }
        catch (JsonException e)
        {
            throw new KeyFetchException(KeyFetchFailure.NotJson, $"{discoveryUrl} is not JSON: {e.Message}", e);
        }

        // OpenID Connect Discovery 1.0 §4.3: the issuer a document names must be the one it was fetched for.
        if (!issuer.IssuerConfigured && named != issuer.Issuer)
        {
            throw new KeyFetchException(KeyFetchFailure.WrongDocument,
                $"{discoveryUrl} names the issuer '{Printable(named)}', not '{issuer.Issuer}'; check Auth0:Domain (a custom domain's discovery names the custom domain).");
        }

        if (!Uri.TryCreate(jwksUri, UriKind.Absolute, out var uri))
        {
            throw new KeyFetchException(KeyFetchFailure.WrongDocument, $"{discoveryUrl} has no valid jwks_uri.");
        }

        // Keys fetched in clear text could be swapped by anyone on the path: plain http only for
        // an issuer that is itself on loopback (the dev issuer, tests).
        var loopbackIssuer = issuer.Authority.Scheme == Uri.UriSchemeHttp;
        if (uri.Scheme != Uri.UriSchemeHttps && !(loopbackIssuer && uri.Scheme == Uri.UriSchemeHttp && Auth0Domain.IsLoopback(uri)))
        {
            throw new KeyFetchException(KeyFetchFailure.WrongDocument, $"{discoveryUrl} names a jwks_uri that is not https: {uri}.");
        }

        return uri;
    }

    private static List<SecurityKey> SigningKeysOf(Uri jwksUri, string jwks)
    {
        JsonWebKeySet set;
        try
        {
            set = new JsonWebKeySet(jwks);
        }
        catch (ArgumentException e)
        {
            throw new KeyFetchException(KeyFetchFailure.NotJson, $"{jwksUri} is not a JWKS: {e.Message}", e);
        }

        var keys = set.GetSigningKeys().ToList();
        return keys.Count > 0
            ? keys
            : throw new KeyFetchException(KeyFetchFailure.NoKeys, $"The JWKS at {jwksUri} holds no signing keys.");
    }

    private static string? Printable(string? value) =>
        value is null ? null : new string([.. value.Take(100).Select(c => char.IsControl(c) ? '?' : c)]);
}
