using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Api.Auth.DPoP;

/// <summary>
/// The public key a DPoP proof carries in its <c>jwk</c> header (RFC 9449 §4.2), read strictly:
/// a public key only, of the type and curve its <c>alg</c> needs, and nothing else trusted about
/// it. It verifies that one proof's signature and names itself by its RFC 7638 thumbprint; it
/// proves possession of the key, nothing about who holds it: that is what the token's
/// <c>cnf.jkt</c> is compared with.
/// </summary>
internal sealed class ProofKey : IDisposable
{
    /// <summary>
    /// Private members of EC and RSA keys (RFC 7518 §6.2.2, §6.3.2) and the symmetric key value
    /// (§6.4.1): a proof carrying any of them exposed its client's secret (RFC 9449 §4.3 check 7).
    /// </summary>
    private static readonly string[] PrivateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

    /// <summary>The JWS algorithms a proof may be signed with: asymmetric ones only (RFC 9449 §4.2, RFC 7518 §3.1).</summary>
    private static readonly FrozenDictionary<string, ProofAlgorithm> Algorithms = new Dictionary<string, ProofAlgorithm>(StringComparer.Ordinal)
    {
        [SecurityAlgorithms.EcdsaSha256] = ProofAlgorithm.Ecdsa(HashAlgorithmName.SHA256, "P-256", ECCurve.NamedCurves.nistP256, 32),
        [SecurityAlgorithms.EcdsaSha384] = ProofAlgorithm.Ecdsa(HashAlgorithmName.SHA384, "P-384", ECCurve.NamedCurves.nistP384, 48),
        [SecurityAlgorithms.EcdsaSha512] = ProofAlgorithm.Ecdsa(HashAlgorithmName.SHA512, "P-521", ECCurve.NamedCurves.nistP521, 66),
        [SecurityAlgorithms.RsaSha256] = ProofAlgorithm.Rsa(HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        [SecurityAlgorithms.RsaSha384] = ProofAlgorithm.Rsa(HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1),
        [SecurityAlgorithms.RsaSha512] = ProofAlgorithm.Rsa(HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1),
        // RFC 7518 §3.5: the PSS salt is as long as the hash, which is what .NET's Pss padding uses.
        [SecurityAlgorithms.RsaSsaPssSha256] = ProofAlgorithm.Rsa(HashAlgorithmName.SHA256, RSASignaturePadding.Pss),
        [SecurityAlgorithms.RsaSsaPssSha384] = ProofAlgorithm.Rsa(HashAlgorithmName.SHA384, RSASignaturePadding.Pss),
        [SecurityAlgorithms.RsaSsaPssSha512] = ProofAlgorithm.Rsa(HashAlgorithmName.SHA512, RSASignaturePadding.Pss),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>RFC 7518 §3.3 requires 2048 bits; the cap keeps one proof's verification cheap.</summary>
    private const int MinRsaBits = 2048;
    private const int MaxRsaBits = 8192;

    private static readonly string InvalidRsa =
        $"The DPoP proof's 'jwk' must be an RSA public key of {MinRsaBits} to {MaxRsaBits} bits: base64url 'n' and 'e' without leading zero bytes, and an odd exponent of at least 3.";

    private readonly ProofAlgorithm algorithm;
    private readonly ProofKeys.Lease lease;

    private ProofKey(ProofAlgorithm algorithm, ProofKeys.Lease lease)
    {
        this.algorithm = algorithm;
        this.lease = lease;
    }

    /// <summary>Every algorithm a proof can be checked with; the configured ones must be among them.</summary>
    public static IReadOnlyCollection<string> SupportedAlgorithms => Algorithms.Keys;

    /// <summary>The key's RFC 7638 SHA-256 thumbprint, base64url: what <c>cnf.jkt</c> must equal.</summary>
    public string Thumbprint => lease.Thumbprint;

    /// <summary>
    /// Reads the public key in <paramref name="jwk"/> for use with <paramref name="alg"/>, imported
    /// once and then lent by <paramref name="keys"/>; when it is not one, <paramref name="problem"/>
    /// says why, in words safe to send back.
    /// </summary>
    public static bool TryRead(JsonElement jwk, string alg, ProofKeys keys, [NotNullWhen(true)] out ProofKey? key, [NotNullWhen(false)] out string? problem)
    {
        key = null;
        if (!Algorithms.TryGetValue(alg, out var algorithm))
        {
            problem = $"The DPoP proof's algorithm {alg} is not supported.";
            return false;
        }

        if (jwk.ValueKind != JsonValueKind.Object)
        {
            problem = "The DPoP proof's 'jwk' header is not a JSON Web Key object.";
            return false;
        }

        foreach (var member in PrivateMembers)
        {
            if (jwk.TryGetProperty(member, out _))
            {
                problem = $"The DPoP proof's 'jwk' holds private key material ('{member}'): send the public key only, and treat this key as compromised.";
                return false;
            }
        }

        if (!jwk.HasString("kty"u8, algorithm.KeyType))
        {
            problem = $"The DPoP proof is signed with {alg}, which needs an {algorithm.KeyType} key{(algorithm.Curve is { } curve ? $" on {curve}" : "")}, but its 'jwk' is not one ('kty').";
            return false;
        }

        if (!TryTextOf(jwk, alg, algorithm, out var text, out problem))
        {
            return false;
        }

        if (keys.TryRent(text, out var kept))
        {
            key = new ProofKey(algorithm, kept);
            problem = null;
            return true;
        }

        return algorithm.KeyType == "EC" ? TryImportEc(text, alg, algorithm, keys, out key, out problem) : TryImportRsa(text, algorithm, keys, out key, out problem);
    }

    /// <summary>Whether <paramref name="signature"/> is this key's signature of <paramref name="signingInput"/> under the proof's algorithm.</summary>
    public bool Verifies(ReadOnlySpan<byte> signingInput, ReadOnlySpan<byte> signature)
    {
        try
        {
            return lease.Key switch
            {
                // JWS ECDSA signatures are R || S, each the curve's size (RFC 7518 §3.4), not DER.
                ECDsa ec => ec.VerifyData(signingInput, signature, algorithm.Hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
                RSA rsa => rsa.VerifyData(signingInput, signature, algorithm.Hash, algorithm.Padding!),
                _ => false,
            };
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    public void Dispose() => lease.Dispose();

    /// <summary>
    /// The members that define the key, as <paramref name="jwk"/> spells them: what a kept key is
    /// found by, and what <see cref="TryImportEc"/> and <see cref="TryImportRsa"/> decode.
    /// </summary>
    private static bool TryTextOf(JsonElement jwk, string alg, ProofAlgorithm algorithm, out ProofKeys.JwkText text, [NotNullWhen(false)] out string? problem)
    {
        text = default;
        problem = null;
        if (algorithm.KeyType == "EC")
        {
            if (jwk.HasString("crv"u8, algorithm.Curve!) && jwk.StringOf("x"u8) is { } x && jwk.StringOf("y"u8) is { } y)
            {
                text = new ProofKeys.JwkText(algorithm.Curve!, x, y);
                return true;
            }

            problem = InvalidEc(alg, algorithm);
            return false;
        }

        if (jwk.StringOf("n"u8) is { } n && jwk.StringOf("e"u8) is { } e)
        {
            text = new ProofKeys.JwkText("RSA", n, e);
            return true;
        }

        problem = InvalidRsa;
        return false;
    }

    private static bool TryImportEc(
        ProofKeys.JwkText text, string alg, ProofAlgorithm algorithm, ProofKeys keys, [NotNullWhen(true)] out ProofKey? key, [NotNullWhen(false)] out string? problem)
    {
        key = null;
        // RFC 7518 §6.2.1.2-3: each coordinate is the full size of the curve's field, never shortened.
        if (Base64UrlText.Decode(text.First) is not { } x || Base64UrlText.Decode(text.Second) is not { } y
            || x.Length != algorithm.CoordinateBytes || y.Length != algorithm.CoordinateBytes)
        {
            problem = InvalidEc(alg, algorithm);
            return false;
        }

        try
        {
            // Refused unless the point is on the curve (an invalid-curve key must never verify anything).
            var curve = algorithm.NamedCurve!.Value;
            key = new ProofKey(algorithm, keys.Add(text, JwkThumbprint.OfEc(algorithm.Curve!, x, y),
                () => ECDsa.Create(new ECParameters { Curve = curve, Q = new ECPoint { X = x, Y = y } })));
            problem = null;
            return true;
        }
        catch (CryptographicException)
        {
            problem = $"The DPoP proof's 'jwk' is not a point on {algorithm.Curve}.";
            return false;
        }
    }

    private static bool TryImportRsa(
        ProofKeys.JwkText text, ProofAlgorithm algorithm, ProofKeys keys, [NotNullWhen(true)] out ProofKey? key, [NotNullWhen(false)] out string? problem)
    {
        key = null;
        // RFC 7518 §6.3.1.1-2: unsigned big-endian integers in their shortest form. An exponent of 1
        // (or any even one) would let anyone "sign" for the key; real keys use 65537.
        var e = Base64UrlText.Decode(text.Second);
        if (Base64UrlText.Decode(text.First) is not { Length: > 0 } n || n[0] == 0
            || (n.Length * 8) - (BitOperations.LeadingZeroCount((uint)n[0]) - 24) is < MinRsaBits or > MaxRsaBits
            || e is not { Length: >= 1 and <= 4 } || e[0] == 0 || (e[^1] & 1) == 0 || (e.Length == 1 && e[0] < 3))
        {
            problem = InvalidRsa;
            return false;
        }

        try
        {
            key = new ProofKey(algorithm, keys.Add(text, JwkThumbprint.OfRsa(n, e), () => RSA.Create(new RSAParameters { Modulus = n, Exponent = e })));
            problem = null;
            return true;
        }
        catch (CryptographicException)
        {
            problem = "The DPoP proof's 'jwk' is not a usable RSA public key.";
            return false;
        }
    }

    private static string InvalidEc(string alg, ProofAlgorithm algorithm) =>
        $"The DPoP proof is signed with {alg}, whose 'jwk' must be an EC key with 'crv' {algorithm.Curve} and base64url 'x' and 'y' of {algorithm.CoordinateBytes} bytes each.";

    private sealed record ProofAlgorithm(string KeyType, HashAlgorithmName Hash, string? Curve, ECCurve? NamedCurve, int CoordinateBytes, RSASignaturePadding? Padding)
    {
        public static ProofAlgorithm Ecdsa(HashAlgorithmName hash, string curve, ECCurve namedCurve, int coordinateBytes) =>
            new("EC", hash, curve, namedCurve, coordinateBytes, null);

        public static ProofAlgorithm Rsa(HashAlgorithmName hash, RSASignaturePadding padding) => new("RSA", hash, null, null, 0, padding);
    }
}
