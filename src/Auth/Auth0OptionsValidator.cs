using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Api.Auth;

/// <summary>
/// Refuses, at start-up, every configuration that would make the API accept tokens it should
/// not or refuse all of them; each message names the key and how to set it.
/// </summary>
internal sealed class Auth0OptionsValidator : IValidateOptions<Auth0Options>
{
    /// <summary>Asymmetric JWS algorithms only: an HMAC key would have to be shared with every caller.</summary>
    private static readonly HashSet<string> KnownAlgorithms = new(StringComparer.Ordinal)
    {
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    };

    private static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    public ValidateOptionsResult Validate(string? name, Auth0Options options)
    {
        var failures = new List<string>();

        ValidateDomains(options, failures);

        if (string.IsNullOrWhiteSpace(options.Audience))
        {
            failures.Add("Auth0:Audience is missing: set the environment variable Auth0__Audience or AUTH0_AUDIENCE to the API identifier.");
        }

        if (options.Issuer is { Length: > 0 } issuer && !Uri.TryCreate(issuer, UriKind.Absolute, out _))
        {
            failures.Add($"Auth0:Issuer '{issuer}' is not an absolute URL (Auth0__Issuer).");
        }
        else if (options.Issuer is { Length: > 0 } && options.DomainEntries.Count > 1)
        {
            failures.Add("Auth0:Issuer is set with several domains: each domain's issuer is its own authority, so leave Auth0:Issuer unset (Auth0__Issuer).");
        }

        foreach (var algorithm in options.Algorithms.Where(a => !KnownAlgorithms.Contains(a)))
        {
            failures.Add(algorithm.StartsWith("HS", StringComparison.OrdinalIgnoreCase) || algorithm.Equals("none", StringComparison.OrdinalIgnoreCase)
                ? $"Auth0:Algorithms contains '{algorithm}', which is never allowed: use asymmetric algorithms (RS256, PS256, ES256, ...)."
                : $"Auth0:Algorithms contains the unknown algorithm '{algorithm}'; allowed: {string.Join(", ", KnownAlgorithms)}.");
        }

        if (options.ClockSkew < TimeSpan.Zero || options.ClockSkew > MaxClockSkew)
        {
            failures.Add($"Auth0:ClockSkew '{options.ClockSkew}' must be between 00:00:00 and 00:05:00.");
        }

        if (options.AllowedClients.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add("Auth0:AllowedClients contains an empty client id (Auth0__AllowedClients__<n>).");
        }

        if (options.PermissionClaims.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add("Auth0:PermissionClaims contains an empty claim name.");
        }

        if (options.TokenCacheSize < 0)
        {
            failures.Add($"Auth0:TokenCacheSize '{options.TokenCacheSize}' must be 0 (off) or a positive number of tokens.");
        }

        AddIfNotPositive(failures, nameof(options.KeyRefreshCooldown), options.KeyRefreshCooldown);
        AddIfNotPositive(failures, nameof(options.KeyRefreshInterval), options.KeyRefreshInterval);
        AddIfNotPositive(failures, nameof(options.MetadataTimeout), options.MetadataTimeout);

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateDomains(Auth0Options options, List<string> failures)
    {
        if (!string.IsNullOrWhiteSpace(options.Domain) && options.Domains.Count > 0)
        {
            failures.Add("Auth0:Domain and Auth0:Domains are both set: list every domain in Auth0:Domains (Auth0__Domains__0, ...) or in Auth0:Domain, comma-separated (Auth0__Domain / AUTH0_DOMAIN), not both.");
            return;
        }

        var entries = options.DomainEntries;
        if (entries.Count == 0)
        {
            failures.Add("Auth0:Domain is missing: set the environment variable Auth0__Domain or AUTH0_DOMAIN to your tenant domain (e.g. dev-x.us.auth0.com), or list several in Auth0:Domains.");
            return;
        }

        var seen = new Dictionary<Uri, string>();
        foreach (var (key, value) in entries)
        {
            if (Auth0Domain.ToAuthority(value) is not { } authority)
            {
                failures.Add($"{key} '{value}' is not a domain or an http(s) URL (Auth0__Domain / AUTH0_DOMAIN, or Auth0__Domains__<n>).");
            }
            else if (authority.Scheme == Uri.UriSchemeHttp && !Auth0Domain.IsLoopback(authority))
            {
                failures.Add($"{key} '{value}' uses http:// for a host that is not loopback (Auth0__Domain / AUTH0_DOMAIN); use https:// (http is accepted only for localhost, 127.0.0.0/8 and ::1).");
            }
            else if (!seen.TryAdd(authority, key))
            {
                failures.Add($"{key} '{value}' names the authority {authority} a second time (also {seen[authority]}): list each domain once.");
            }
        }
    }

    private static void AddIfNotPositive(List<string> failures, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"Auth0:{key} '{value}' must be a positive duration.");
        }
    }
}
