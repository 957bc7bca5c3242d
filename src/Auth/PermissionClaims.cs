using System.Security.Claims;

namespace Api.Auth;

/// <summary>Decides which permissions a request holds.</summary>
internal static class PermissionClaims
{
    /// <summary>
    /// The claim type FastEndpoints' <c>Permissions(...)</c> reads (its default
    /// <c>PermissionsClaimType</c>): one claim per permission, compared ordinally.
    /// </summary>
    public const string ClaimType = "permissions";

    /// <summary>The OAuth 2.0 scope claim (RFC 8693 §4.2): one string of space-separated scopes.</summary>
    public const string ScopeClaimType = "scope";

    /// <summary>
    /// Rewrites the identity's permission claims as the union of every claim named in
    /// <paramref name="sourceClaimTypes"/>. Only <c>scope</c> is split, on spaces (RFC 6749 §3.3);
    /// every other claim value is one permission, taken whole: the <c>permissions</c> array arrives
    /// as one claim per element, and an element <c>"read:messages admin"</c> or
    /// <c>"read:messages "</c> grants neither <c>read:messages</c> nor <c>admin</c>. Existing
    /// <c>permissions</c> claims are dropped first, so a claim left out of the configuration grants nothing.
    /// </summary>
    public static void Normalize(ClaimsIdentity identity, IEnumerable<string> sourceClaimTypes)
    {
        var permissions = new HashSet<string>(StringComparer.Ordinal);
        foreach (var type in sourceClaimTypes)
        {
            foreach (var claim in identity.FindAll(type))
            {
                if (type != ScopeClaimType)
                {
                    permissions.Add(claim.Value);
                    continue;
                }

                foreach (var word in claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    permissions.Add(word);
                }
            }
        }

        foreach (var claim in identity.FindAll(ClaimType).ToList())
        {
            identity.RemoveClaim(claim);
        }

        foreach (var permission in permissions)
        {
            identity.AddClaim(new Claim(ClaimType, permission));
        }
    }

    /// <summary>The permissions the request's principal holds, as mapped by <see cref="Normalize"/>.</summary>
    public static IReadOnlyList<string> Of(ClaimsPrincipal user) =>
        [.. user.FindAll(ClaimType).Select(c => c.Value)];
}
