using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Connections.Features;
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
/// <item>each hit gets its own principal and identity over the remembered claims, which no request
/// can add to or remove from, so no request can change what another sees; and the token itself
/// is not kept (IdentityModel's identity would hold it).</item>
/// </list>
/// </summary>
internal sealed class ValidatedTokenCache : IDisposable
{
    private readonly MemoryCache? entries;
    private readonly TimeSpan clockSkew;
    private readonly TimeProvider time;

    /// <summary>The key of <see cref="LastToken"/> in a connection's items.</summary>
    private static readonly object LastTokenKey = new();

    public ValidatedTokenCache(IOptions<Auth0Options> options, TimeProvider time)
    {
        this.time = time;
        clockSkew = options.Value.ClockSkew;
        if (options.Value.TokenCacheSize > 0)
        {
            entries = new MemoryCache(new MemoryCacheOptions { SizeLimit = options.Value.TokenCacheSize });
        }
    }

    public int Count => entries?.Count ?? 0;

    /// <summary>A new principal for a token validated in full before, under the keys its issuer holds now, if any.</summary>
    /// <param name="context">The request, whose connection may remember the last token it sent.</param>
    /// <param name="credentials">Its credentials: the header, exactly as received, and the token it holds,
    /// taken out of the header (a ~1.4 KB string for an Auth0 token) only when the connection's
    /// last token is not the same.</param>
    public bool TryGet(HttpContext context, RequestCredentials credentials, [NotNullWhen(true)] out ClaimsPrincipal? principal, [NotNullWhen(true)] out ValidatedToken? validated)
    {
        principal = null;
        validated = null;
        if (entries is null || credentials.Header is not { } header)
        {
            return false;
        }

        var now = time.GetUtcNow();
        var connection = ConnectionItemsOf(context);
        var last = connection?.TryGetValue(LastTokenKey, out var remembered) is true ? remembered as LastToken : null;
        if (last is null || !ReferenceEquals(last.Header, header) || !last.Entry.IsCurrent(now))
        {
            var key = KeyOf(credentials.Token!);
            if (!entries.TryGetValue(key, out Entry? entry) || entry is null)
            {
                return false;
            }

            if (!entry.IsCurrent(now))
            {
                entries.Remove(key);
                return false;
            }

            last = new LastToken(header, entry);
            if (connection is not null)
            {
                connection[LastTokenKey] = last;
            }
        }

        principal = new ClaimsPrincipal(new RememberedIdentity(last.Entry.Identity));
        validated = last.Entry.Validated;
        return true;
    }

    /// <summary>
    /// The items of an HTTP/1.1 connection, where requests come one after another. Kestrel hands
    /// such a connection the same header string instance again when the next request's bytes are
    /// the same (its header value reuse), so a caller that keeps its connection and its token is
    /// answered by a reference comparison instead of SHA-256 and a MemoryCache read (~1.5 µs per
    /// request, bench/RESULTS.md). Equal references mean equal tokens, so nothing is relaxed.
    /// HTTP/2 and HTTP/3 streams of one connection run concurrently: they always take the hash.
    /// </summary>
    private static IDictionary<object, object?>? ConnectionItemsOf(HttpContext context) =>
        HttpProtocol.IsHttp11(context.Request.Protocol) ? context.Features.Get<IConnectionItemsFeature>()?.Items : null;

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
        var expires = new DateTimeOffset(token.ValidTo, TimeSpan.Zero) + clockSkew;
        entries.Set(KeyOf(token.EncodedToken), new Entry(new RememberedClaims(detached), validated, store, keys, expires), new MemoryCacheEntryOptions
        {
            Size = 1,
            AbsoluteExpiration = expires,
        });
    }

    public void Dispose() => entries?.Dispose();

    /// <summary>
    /// SHA-256 through one reused <see cref="IncrementalHash"/> per thread: the one-shot
    /// <c>SHA256.HashData</c> sets up and tears down an OpenSSL context on every call, which
    /// measured 2.6 against 1.2 µs per 700-byte token here. The hash is finished before this
    /// returns, so no other request can ever see a half-hashed state.
    /// </summary>
    private static string KeyOf(string token)
    {
        var length = Encoding.UTF8.GetByteCount(token);
        var bytes = length <= 4096 ? stackalloc byte[length] : new byte[length];
        Encoding.UTF8.GetBytes(token, bytes);
        var sha256 = threadHash ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        sha256.AppendData(bytes);
        sha256.GetHashAndReset(hash);
        return Convert.ToBase64String(hash);
    }

    [ThreadStatic]
    private static IncrementalHash? threadHash;

    /// <summary>An accepted token's claims, once: shared by every request that sends the token.</summary>
    private sealed class RememberedClaims(ClaimsIdentity identity)
    {
        public Claim[] Claims { get; } = [.. identity.Claims];

        public string? AuthenticationType { get; } = identity.AuthenticationType;

        public string NameClaimType { get; } = identity.NameClaimType;

        public string RoleClaimType { get; } = identity.RoleClaimType;
    }

    /// <summary>
    /// One request's identity over <see cref="RememberedClaims"/>, made without copying them
    /// (a copy of ~10 claims cost ~1 µs per request here): claims a request adds stay its own, and
    /// a remembered claim cannot be removed, since it belongs to no identity of this request.
    /// </summary>
    private sealed class RememberedIdentity(RememberedClaims remembered)
        : ClaimsIdentity(remembered.AuthenticationType, remembered.NameClaimType, remembered.RoleClaimType)
    {
        public override IEnumerable<Claim> Claims => remembered.Claims.Concat(base.Claims);

        /// <summary>
        /// The permission check of every request (PermissionRule): a loop over the remembered
        /// claims, without the two iterators <see cref="Claims"/> stacks, then the claims this
        /// request added. In a profile here, authorization fell from ~0.9 to ~0.4 µs of CPU over an
        /// anonymous request with it (bench/RESULTS.md, "What (b) still pays").
        /// </summary>
        public override bool HasClaim(string type, string value)
        {
            foreach (var claim in remembered.Claims)
            {
                if (Is(claim, type, value))
                {
                    return true;
                }
            }

            // A loop, not Any(...): a lambda over the parameters would allocate its closure on
            // entry, on every request, though it is needed only when the remembered claims miss.
            foreach (var claim in base.Claims)
            {
                if (Is(claim, type, value))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The comparison <see cref="ClaimsIdentity.HasClaim(string, string)"/> makes: the type ignoring case, the value exactly.</summary>
        private static bool Is(Claim claim, string type, string value) =>
            string.Equals(claim.Type, type, StringComparison.OrdinalIgnoreCase) && string.Equals(claim.Value, value, StringComparison.Ordinal);

        public override ClaimsIdentity Clone()
        {
            var clone = new ClaimsIdentity(Claims.Select(c => c.Clone()), AuthenticationType, NameClaimType, RoleClaimType);
            return clone;
        }
    }

    /// <summary>The token an HTTP/1.1 connection sent last, by the header string it came in.</summary>
    private sealed record LastToken(string Header, Entry Entry);

    /// <param name="Expires">The token's <c>exp</c> plus the clock skew a full check allows.</param>
    private sealed record Entry(RememberedClaims Identity, ValidatedToken Validated, SigningKeyStore Store, IssuerKeySet Keys, DateTimeOffset Expires)
    {
        /// <summary>Not expired, and its issuer still holds the very keys that checked it.</summary>
        public bool IsCurrent(DateTimeOffset now) => now < Expires && ReferenceEquals(Store.Current, Keys);
    }
}
