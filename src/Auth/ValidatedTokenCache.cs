using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using System.Diagnostics.CodeAnalysis;
using Api.Auth.SigningKeys;

namespace Api.Auth;

/// <summary>
/// Remembers tokens that passed every check, so a caller that sends the same token for hours
/// pays the RS256 verification, parsing and claims mapping (about 35 µs of CPU, bench/RESULTS.md)
/// once instead of on every request. Nothing is relaxed:
/// <list type="bullet">
/// <item>the key is a SHA-256 hash of the whole token, so tokens differing in one byte never share an entry;</item>
/// <item>only successes are stored, after every check and the permission mapping; a refused token is checked again in full every time;</item>
/// <item>an entry expires with its token (<c>exp</c> plus the same clock skew a full check allows):
/// MemoryCache checks that on every read;</item>
/// <item>an entry counts only while its issuer still holds the very key set that checked it:
/// after any refresh of that issuer's keys the token is checked again in full, so one whose key
/// left the JWKS is refused, and a refresh at one issuer costs the others nothing;</item>
/// <item>the size is bounded by <see cref="Auth0Options.TokenCacheSize"/> (MemoryCache's size limit);
/// when full, new tokens are still validated, just not remembered until it compacts;</item>
/// <item>each hit gets its own principal, so no request can change what another sees, and the
/// token itself is not kept (IdentityModel's identity would hold it).</item>
/// </list>
/// </summary>
internal sealed class ValidatedTokenCache : IDisposable
{
    private readonly MemoryCache? entries;
    private readonly TimeSpan clockSkew;

    public ValidatedTokenCache(IOptions<Auth0Options> options)
    {
        clockSkew = options.Value.ClockSkew;
        if (options.Value.TokenCacheSize > 0)
        {
            entries = new MemoryCache(new MemoryCacheOptions { SizeLimit = options.Value.TokenCacheSize });
        }
    }

    public int Count => entries?.Count ?? 0;

    /// <summary>A new principal for a token validated in full before, under the keys its issuer holds now, if any.</summary>
    public bool TryGet(string token, [NotNullWhen(true)] out ClaimsPrincipal? principal, [NotNullWhen(true)] out ValidatedToken? validated)
    {
        principal = null;
        validated = null;
        if (entries is null)
        {
            return false;
        }

        var key = KeyOf(token);
        if (!entries.TryGetValue(key, out Entry? entry) || entry is null)
        {
            return false;
        }

        if (!ReferenceEquals(entry.Store.Current, entry.Keys))
        {
            entries.Remove(key);
            return false;
        }

        principal = new ClaimsPrincipal(entry.Identity.Clone());
        validated = entry.Validated;
        return true;
    }

    /// <summary>
    /// Remembers <paramref name="token"/>, accepted with <paramref name="identity"/> (its
    /// permissions mapped), if the key that signed it is one <paramref name="store"/> holds now.
    /// </summary>
    public void Add(JsonWebToken token, ClaimsIdentity identity, ValidatedToken validated, SigningKeyStore store)
    {
        if (entries is null || store.Current is not { } keys || token.SigningKey is not { } signingKey || !keys.Contains(signingKey))
        {
            return;
        }

        var detached = new ClaimsIdentity(identity.Claims.Select(c => new Claim(c.Type, c.Value, c.ValueType, c.Issuer, c.OriginalIssuer)),
            identity.AuthenticationType, identity.NameClaimType, identity.RoleClaimType);
        entries.Set(KeyOf(token.EncodedToken), new Entry(detached, validated, store, keys), new MemoryCacheEntryOptions
        {
            Size = 1,
            AbsoluteExpiration = new DateTimeOffset(token.ValidTo, TimeSpan.Zero) + clockSkew,
        });
    }

    public void Dispose() => entries?.Dispose();

    private static string KeyOf(string token)
    {
        var length = Encoding.UTF8.GetByteCount(token);
        var bytes = length <= 4096 ? stackalloc byte[length] : new byte[length];
        Encoding.UTF8.GetBytes(token, bytes);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(bytes, hash);
        return Convert.ToBase64String(hash);
    }

    private sealed record Entry(ClaimsIdentity Identity, ValidatedToken Validated, SigningKeyStore Store, IssuerKeySet Keys);
}
