using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Api.Auth;

/// <summary>
/// Remembers tokens that passed every check, so a caller that sends the same token for hours
/// pays the RS256 verification (about 23 µs of CPU) once instead of on every request. Nothing
/// is relaxed:
/// <list type="bullet">
/// <item>the key is a SHA-256 hash of the whole token, so tokens differing in one byte never share an entry;</item>
/// <item>only successes are stored; a refused token is checked again in full every time;</item>
/// <item>an entry expires with its token (<c>exp</c> plus the same clock skew a full check allows):
/// MemoryCache checks that on every read;</item>
/// <item>an entry counts only under the issuer configuration (keys and issuer) it was checked
/// against: after any key refresh it is checked again in full, so a token whose key left the
/// JWKS is refused;</item>
/// <item>the size is bounded by <see cref="Auth0Options.TokenCacheSize"/> (MemoryCache's size limit);
/// when full, new tokens are simply validated without being remembered until it compacts.</item>
/// </list>
/// </summary>
public sealed class ValidatedTokenCache : IDisposable
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

    /// <summary>A fresh result for a token validated before under <paramref name="configuration"/>, if any.</summary>
    public bool TryGet(string token, OpenIdConnectConfiguration? configuration, out TokenValidationResult result)
    {
        result = null!;
        if (entries is null || configuration is null)
        {
            return false;
        }

        var key = KeyOf(token);
        if (!entries.TryGetValue(key, out Entry? entry) || entry is null)
        {
            return false;
        }

        if (!ReferenceEquals(entry.Configuration, configuration))
        {
            entries.Remove(key);
            return false;
        }

        // Each request gets its own identity: JwtBearer's events may change the one they receive.
        result = new TokenValidationResult
        {
            IsValid = true,
            SecurityToken = entry.Token,
            ClaimsIdentity = entry.Identity.Clone(),
            Issuer = entry.Token.Issuer,
            TokenType = entry.Token.Typ,
        };
        return true;
    }

    /// <summary>Remembers a token that passed every check against <paramref name="configuration"/>.</summary>
    public void Add(string token, TokenValidationResult result, OpenIdConnectConfiguration configuration)
    {
        if (entries is null || !result.IsValid || result.SecurityToken is not JsonWebToken jwt || result.ClaimsIdentity is null)
        {
            return;
        }

        entries.Set(KeyOf(token), new Entry(jwt, result.ClaimsIdentity.Clone(), configuration), new MemoryCacheEntryOptions
        {
            Size = 1,
            AbsoluteExpiration = new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero) + clockSkew,
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

    private sealed record Entry(JsonWebToken Token, ClaimsIdentity Identity, OpenIdConnectConfiguration Configuration);
}
