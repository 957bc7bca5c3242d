using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Api.Auth.DPoP;

/// <summary>
/// RFC 7638 JWK SHA-256 thumbprints: what a DPoP-bound token's <c>cnf.jkt</c> holds (RFC 9449
/// §6.1). The hash input is the key's required members only, in lexicographic order, with no
/// whitespace (RFC 7638 §3.2), so the same public key always has the same thumbprint whatever
/// else its JWK carries (<c>kid</c>, <c>use</c>, <c>alg</c>).
/// </summary>
internal static class JwkThumbprint
{
    /// <summary>An EC public key's thumbprint: <c>{"crv","kty","x","y"}</c> (RFC 7638 §3.2).</summary>
    public static string OfEc(string curve, ReadOnlySpan<byte> x, ReadOnlySpan<byte> y) =>
        Hash($$"""{"crv":"{{curve}}","kty":"EC","x":"{{Base64Url.EncodeToString(x)}}","y":"{{Base64Url.EncodeToString(y)}}"}""");

    /// <summary>An RSA public key's thumbprint: <c>{"e","kty","n"}</c> (RFC 7638 §3.2).</summary>
    public static string OfRsa(ReadOnlySpan<byte> modulus, ReadOnlySpan<byte> exponent) =>
        Hash($$"""{"e":"{{Base64Url.EncodeToString(exponent)}}","kty":"RSA","n":"{{Base64Url.EncodeToString(modulus)}}"}""");

    /// <summary>
    /// The members are re-encoded from the key's bytes rather than copied from the JWK as sent,
    /// so a thumbprint never depends on how a client happened to spell the same key.
    /// </summary>
    private static string Hash(string canonicalJson) => Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalJson)));
}
