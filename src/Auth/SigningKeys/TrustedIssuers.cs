using System.Collections.Frozen;
using Microsoft.Extensions.Options;

namespace Api.Auth.SigningKeys;

/// <summary>
/// The issuers the API trusts, each with its own <see cref="SigningKeyStore"/>: a token is checked
/// only against the keys of the issuer its <c>iss</c> names, so one issuer's keys, refreshes and
/// outages never touch another's.
/// </summary>
internal sealed class TrustedIssuers
{
    private readonly FrozenDictionary<string, SigningKeyStore> byIssuer;

    public TrustedIssuers(
        IOptions<Auth0Options> options,
        IssuerMetadataClient metadata,
        TimeProvider time,
        AuthMetrics metrics,
        ILogger<SigningKeyStore> logger)
    {
        var settings = options.Value;
        Stores = [.. Configured(settings).Select(issuer => new SigningKeyStore(issuer, metadata, settings.KeyRefreshCooldown, time, metrics, logger))];
        byIssuer = Stores.ToFrozenDictionary(s => s.Issuer.Issuer, StringComparer.Ordinal);
        Names = [.. Stores.Select(s => s.Issuer.Issuer)];
    }

    public IReadOnlyList<SigningKeyStore> Stores { get; }

    /// <summary>The exact <c>iss</c> of each trusted issuer, in configuration order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>
    /// One issuer per configured domain, its authority as its issuer; with a single domain,
    /// <c>Auth0:Issuer</c> may name the issuer instead.
    /// </summary>
    private static IEnumerable<TrustedIssuer> Configured(Auth0Options options) =>
        string.IsNullOrEmpty(options.Issuer)
            ? options.Authorities.Select(authority => new TrustedIssuer(authority, authority.AbsoluteUri, IssuerConfigured: false))
            : [new TrustedIssuer(options.Authorities[0], options.Issuer, IssuerConfigured: true)];

    /// <summary>The store of the issuer named exactly <paramref name="issuer"/>; null when it is not trusted.</summary>
    public SigningKeyStore? Find(string? issuer) =>
        issuer is not null && byIssuer.TryGetValue(issuer, out var store) ? store : null;
}
