namespace Api.Auth.DevIssuer;

/// <summary>The <c>DevIssuer</c> section: the local stand-in for an Auth0 tenant (Development only).</summary>
internal sealed class DevIssuerOptions
{
    public const string Section = "DevIssuer";

    /// <summary>
    /// The <c>iss</c> of minted tokens and the authority the API trusts. Empty: the first address
    /// in <c>urls</c> (what <c>dotnet run</c> listens on), else <c>http://localhost:5080/</c>.
    /// </summary>
    public string? Issuer { get; set; }

    /// <summary>
    /// What <c>dotnet run</c> listens on: the host's own <c>urls</c> setting (launchSettings'
    /// applicationUrl arrives there), bound from the configuration root.
    /// </summary>
    public string? Urls { get; set; }

    /// <summary>Machine-to-machine clients by <c>client_id</c>.</summary>
    public Dictionary<string, DevClient> Clients { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Access token lifetime; Auth0's default for an API is 24 hours.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Where the signing key is kept across restarts (relative to the content root; git-ignored).</summary>
    public string KeyPath { get; set; } = ".dev-issuer/signing-key.pem";
}

/// <summary>A client the dev issuer mints tokens for, as an Auth0 machine-to-machine application.</summary>
internal sealed class DevClient
{
    public string Secret { get; set; } = "";

    public List<string> Permissions { get; set; } = [];
}
