using Microsoft.IdentityModel.Tokens;

namespace Api.Auth;

/// <summary>
/// The <c>Auth0</c> configuration section: which tenant issues the API's access tokens and how
/// strictly they are checked. Every default lives here; <see cref="Auth0OptionsValidator"/>
/// refuses bad values at start-up.
/// </summary>
internal sealed class Auth0Options
{
    public const string Section = "Auth0";

    /// <summary>
    /// Tenant domain (<c>dev-x.us.auth0.com</c>) or a full authority URL; a comma-separated list
    /// is read as <see cref="Domains"/> (so <c>AUTH0_DOMAIN</c> can name several). <c>http://</c>
    /// is accepted only for loopback hosts, so a token's keys can never be fetched in clear text
    /// over a real network.
    /// </summary>
    public string? Domain { get; set; }

    /// <summary>
    /// Several domains, each trusted as its own issuer: an Auth0 tenant's canonical domain and its
    /// custom domains, whose tokens each name the domain the client used in <c>iss</c>. The first
    /// is the one Swagger UI gets tokens from.
    /// </summary>
    public IList<string> Domains { get; set; } = [];

    /// <summary>The API identifier: every token must carry it in <c>aud</c>.</summary>
    public string? Audience { get; set; }

    /// <summary>
    /// Expected <c>iss</c>, with a single domain only. Left empty, each domain's authority is its
    /// issuer (<c>https://dev-x.us.auth0.com/</c>, with the trailing slash, as Auth0 writes it),
    /// and its discovery document must name that same issuer.
    /// </summary>
    public string? Issuer { get; set; }

    /// <summary>
    /// The client ids (<c>azp</c>, else <c>client_id</c>) whose tokens are accepted, compared
    /// exactly; empty: any application of the tenant authorized for the API. A token naming no
    /// client is refused when the list is set.
    /// </summary>
    public IList<string> AllowedClients { get; set; } = [];

    /// <summary>Allowed <c>alg</c> values. Auth0 signs with RS256 unless told otherwise.</summary>
    public IList<string> Algorithms { get; set; } = [];

    /// <summary>
    /// Tolerance on <c>exp</c> and <c>nbf</c>. JwtBearer's 5 minutes would keep an expired token
    /// alive far longer than callers expect; 30 seconds absorbs ordinary clock drift.
    /// </summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Claims whose values are permissions. Auth0 puts RBAC permissions in the <c>permissions</c>
    /// array of user tokens and granted scopes, space-separated, in <c>scope</c> of
    /// machine-to-machine tokens; reading both makes one endpoint rule work for both callers.
    /// </summary>
    public IList<string> PermissionClaims { get; set; } = [];

    /// <summary>
    /// Least time between two key refreshes caused by tokens with an unknown <c>kid</c>, so a
    /// flood of forged tokens can never become a flood of requests to Auth0.
    /// </summary>
    public TimeSpan KeyRefreshCooldown { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often the signing keys are refreshed when nothing asks for it (sooner when the JWKS
    /// response's <c>Cache-Control: max-age</c> says so), and the longest wait between retries
    /// while a refresh keeps failing with keys held. Auth0 publishes a new key before signing with
    /// it, and an unknown <c>kid</c> refreshes at once, so this bounds how long a key the tenant
    /// withdrew stays trusted: 10 minutes, as Auth0's own express-oauth2-jwt-bearer and Python
    /// SDK cache a JWKS.
    /// </summary>
    public TimeSpan KeyRefreshInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Limit on one fetch of the keys (discovery document and JWKS together), so a slow issuer
    /// cannot hold the requests that wait for an unknown-<c>kid</c> refresh.
    /// </summary>
    public TimeSpan MetadataTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many validated tokens <see cref="ValidatedTokenCache"/> remembers (0 turns it off). A
    /// machine-to-machine caller reuses one token for hours; each entry costs a few KB.
    /// </summary>
    public int TokenCacheSize { get; set; } = 10_000;

    internal static readonly string[] DefaultAlgorithms = [SecurityAlgorithms.RsaSha256];
    internal static readonly string[] DefaultPermissionClaims = ["permissions", "scope"];

    /// <summary>
    /// Lists bound from configuration are appended to, never replaced, so defaults for them are
    /// filled in after binding, and only when configuration gave none.
    /// </summary>
    internal void ApplyListDefaults()
    {
        if (Algorithms.Count == 0)
        {
            Algorithms = [.. DefaultAlgorithms];
        }

        if (PermissionClaims.Count == 0)
        {
            PermissionClaims = [.. DefaultPermissionClaims];
        }
    }

    /// <summary>
    /// The configured domains as (configuration key, value) pairs: <c>Auth0:Domains:0</c>, ... or
    /// the entries of the comma-separated <c>Auth0:Domain</c>, trimmed.
    /// </summary>
    internal IReadOnlyList<(string Key, string Value)> DomainEntries =>
        Domains.Count > 0
            ? [.. Domains.Select((d, i) => ($"{Section}:{nameof(Domains)}:{i}", d))]
            : string.IsNullOrWhiteSpace(Domain)
                ? []
                : Domain.Split(',', StringSplitOptions.TrimEntries) is [var single]
                    ? [($"{Section}:{nameof(Domain)}", single)]
                    : [.. Domain.Split(',', StringSplitOptions.TrimEntries).Select((d, i) => ($"{Section}:{nameof(Domain)} entry {i}", d))];

    /// <summary>The authorities the domains name, each ending with a slash; entries that name none are left out (the validator refuses them).</summary>
    internal IReadOnlyList<Uri> Authorities => [.. DomainEntries.Select(e => Auth0Domain.ToAuthority(e.Value)).OfType<Uri>()];
}
