using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Api.Auth.DPoP;

/// <summary>How a proof's <c>nonce</c> fared (RFC 9449 §9).</summary>
internal enum NonceCheck
{
    Valid,

    /// <summary>The proof carries no nonce.</summary>
    Missing,

    /// <summary>Issued by us, but longer ago than <see cref="DPoPOptions.NonceLifetime"/>.</summary>
    Stale,

    /// <summary>Not a nonce any instance sharing our key issued.</summary>
    NotOurs,
}

/// <summary>
/// Stateless DPoP nonces (RFC 9449 §8, §9): a nonce is its issue time authenticated with
/// HMAC-SHA256 under <see cref="DPoPOptions.NonceKey"/>, so any instance holding the key accepts
/// it without asking the one that issued it, and nothing is stored. A nonce says only "a server
/// of ours issued this at that time": it makes a proof's freshness rest on the server's clock
/// (RFC 9449 §11.2). Replays are the replay cache's business, not the nonce's.
/// </summary>
internal sealed class DPoPNonces
{
    /// <summary>The response header that hands a client the nonce to put in its next proofs (RFC 9449 §8.1).</summary>
    public const string HeaderName = "DPoP-Nonce";

    /// <summary>A format byte, so the format can change without a new nonce being read as an old one.</summary>
    private const byte Version = 1;

    /// <summary>128 bits of the HMAC: forging one is as hard as guessing a 128-bit key.</summary>
    private const int MacBytes = 16;

    private const int IssuedAtBytes = sizeof(long);
    private const int NonceBytes = 1 + IssuedAtBytes + MacBytes;

    private readonly byte[]? key;
    private readonly TimeSpan lifetime;
    private readonly TimeSpan leeway;
    private readonly TimeProvider time;

    public DPoPNonces(IOptions<DPoPOptions> options, TimeProvider time)
    {
        var settings = options.Value;
        key = settings.NonceKey is { Length: > 0 } nonceKey ? Convert.FromBase64String(nonceKey) : null;
        lifetime = settings.NonceLifetime;
        leeway = settings.ProofLeeway;
        this.time = time;
    }

    /// <summary>
    /// A fresh nonce for a <c>DPoP-Nonce</c> header: 34 base64url characters, within RFC 9449
    /// §8.1's NQCHAR. Only with a <see cref="DPoPOptions.NonceKey"/>, which
    /// <see cref="DPoPOptionsValidator"/> requires whenever nonces are required.
    /// </summary>
    public string Issue()
    {
        Span<byte> nonce = stackalloc byte[NonceBytes];
        nonce[0] = Version;
        BinaryPrimitives.WriteInt64BigEndian(nonce[1..], time.GetUtcNow().ToUnixTimeMilliseconds());
        Mac(nonce[..(1 + IssuedAtBytes)], nonce[(1 + IssuedAtBytes)..]);
        return Base64Url.EncodeToString(nonce);
    }

    /// <summary>
    /// Whether <paramref name="nonce"/> was issued by an instance sharing our key, less than
    /// <see cref="DPoPOptions.NonceLifetime"/> ago; and whether the answer should carry a fresh
    /// one (<paramref name="renew"/>): it is past half its lifetime, or not valid at all, so the
    /// client gets a new nonce before the old one expires (RFC 9449 §8.2) instead of a refusal.
    /// </summary>
    public NonceCheck Check(string? nonce, out bool renew)
    {
        var check = Read(nonce, out var age);
        renew = check != NonceCheck.Valid || age >= lifetime / 2;
        return check;
    }

    private NonceCheck Read(string? nonce, out TimeSpan age)
    {
        age = default;
        if (string.IsNullOrEmpty(nonce))
        {
            return NonceCheck.Missing;
        }

        Span<byte> expected = stackalloc byte[MacBytes];
        if (Base64UrlText.Decode(nonce) is not { Length: NonceBytes } bytes || bytes[0] != Version)
        {
            return NonceCheck.NotOurs;
        }

        Mac(bytes.AsSpan(0, 1 + IssuedAtBytes), expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, bytes.AsSpan(1 + IssuedAtBytes)))
        {
            return NonceCheck.NotOurs;
        }

        age = time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(1)));
        // Another instance's clock may run a little ahead of ours: the proofs' leeway covers it.
        return -age > leeway ? NonceCheck.NotOurs : age >= lifetime ? NonceCheck.Stale : NonceCheck.Valid;
    }

    private void Mac(ReadOnlySpan<byte> message, Span<byte> mac)
    {
        var nonceKey = key ?? throw new InvalidOperationException("DPoP nonces need Auth0:DPoP:NonceKey.");
        Span<byte> full = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(nonceKey, message, full);
        full[..MacBytes].CopyTo(mac);
    }
}
