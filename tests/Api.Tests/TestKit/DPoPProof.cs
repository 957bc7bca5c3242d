using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Api.Tests.TestKit;

/// <summary>
/// A DPoP client's key pair (RFC 9449): it makes valid proofs for a request, as a
/// <see cref="TokenSpec"/> whose every header member, claim and signer a test may then change,
/// and it knows its own RFC 7638 thumbprint, computed by IdentityModel rather than by the API.
/// </summary>
public sealed class DPoPKey : IDisposable
{
    private readonly AsymmetricAlgorithm algorithm;

    private DPoPKey(AsymmetricAlgorithm algorithm, AsymmetricSecurityKey key, string defaultAlgorithm)
    {
        this.algorithm = algorithm;
        Key = key;
        Algorithm = defaultAlgorithm;
    }

    /// <summary>The private key that signs this client's proofs.</summary>
    public AsymmetricSecurityKey Key { get; }

    /// <summary>The <c>alg</c> its proofs carry unless a test says otherwise.</summary>
    public string Algorithm { get; }

    /// <summary>base64url(SHA-256) RFC 7638 thumbprint of the public key: what a bound token's <c>cnf.jkt</c> holds.</summary>
    public string Thumbprint => Base64UrlEncoder.Encode(new JsonWebKey(JsonSerializer.Serialize(PublicJwk())).ComputeJwkThumbprint());

    /// <summary>An EC key on the curve <paramref name="alg"/> needs (ES256: P-256, ES384: P-384, ES512: P-521).</summary>
    public static DPoPKey CreateEcdsa(string alg = "ES256")
    {
        var curve = alg switch
        {
            "ES384" => ECCurve.NamedCurves.nistP384,
            "ES512" => ECCurve.NamedCurves.nistP521,
            _ => ECCurve.NamedCurves.nistP256,
        };
        var ecdsa = ECDsa.Create(curve);
        return new(ecdsa, new ECDsaSecurityKey(ecdsa), alg);
    }

    public static DPoPKey CreateRsa(string alg = "PS256", int bits = 2048)
    {
        var rsa = RSA.Create(bits);
        return new(rsa, new RsaSecurityKey(rsa), alg);
    }

    /// <summary>The public key as the <c>jwk</c> header member (RFC 9449 §4.2).</summary>
    public Dictionary<string, object?> PublicJwk() => Members(includePrivate: false);

    /// <summary>The whole key, private members included: what no proof may ever carry.</summary>
    public Dictionary<string, object?> PrivateJwk() => Members(includePrivate: true);

    /// <summary>
    /// A valid proof for <c><paramref name="method"/> <paramref name="url"/></c> made at
    /// <paramref name="at"/> (the system clock's now if null), with the <c>ath</c> of
    /// <paramref name="accessToken"/> when one goes with it and a fresh random <c>jti</c>.
    /// </summary>
    public TokenSpec Proof(string method, string url, string? accessToken = null, DateTimeOffset? at = null)
    {
        var proof = new TokenSpec { Signer = Key };
        proof.Header["typ"] = "dpop+jwt";
        proof.Header["alg"] = Algorithm;
        proof.Header["jwk"] = PublicJwk();
        proof.Payload["jti"] = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16));
        proof.Payload["htm"] = method;
        proof.Payload["htu"] = url;
        proof.Payload["iat"] = (at ?? RealClock.Now).ToUnixTimeSeconds();
        if (accessToken is not null)
        {
            proof.Payload["ath"] = AccessTokenHash(accessToken);
        }

        return proof;
    }

    /// <summary>base64url(SHA-256(ASCII(token))), as RFC 9449 §4.2 defines <c>ath</c>.</summary>
    public static string AccessTokenHash(string accessToken) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));

    public void Dispose() => algorithm.Dispose();

    private Dictionary<string, object?> Members(bool includePrivate)
    {
        var members = new Dictionary<string, object?>(StringComparer.Ordinal);
        switch (algorithm)
        {
            case RSA rsa:
                var r = rsa.ExportParameters(includePrivate);
                members["kty"] = "RSA";
                members["n"] = Base64UrlEncoder.Encode(r.Modulus);
                members["e"] = Base64UrlEncoder.Encode(r.Exponent);
                if (includePrivate)
                {
                    members["d"] = Base64UrlEncoder.Encode(r.D);
                    members["p"] = Base64UrlEncoder.Encode(r.P);
                    members["q"] = Base64UrlEncoder.Encode(r.Q);
                    members["dp"] = Base64UrlEncoder.Encode(r.DP);
                    members["dq"] = Base64UrlEncoder.Encode(r.DQ);
                    members["qi"] = Base64UrlEncoder.Encode(r.InverseQ);
                }

                break;
            case ECDsa ec:
                var e = ec.ExportParameters(includePrivate);
                members["kty"] = "EC";
                members["crv"] = $"P-{ec.KeySize}";
                members["x"] = Base64UrlEncoder.Encode(e.Q.X);
                members["y"] = Base64UrlEncoder.Encode(e.Q.Y);
                if (includePrivate)
                {
                    members["d"] = Base64UrlEncoder.Encode(e.D);
                }

                break;
            default:
                throw new NotSupportedException(algorithm.GetType().Name);
        }

        return members;
    }
}

/// <summary>What a test does to a proof that <see cref="TokenSpec"/> does not already do.</summary>
public static class DPoPProofChanges
{
    /// <summary>The same compact JWS with one bit of its signature flipped: well-formed, but not a signature of its content.</summary>
    public static string WithBrokenSignature(this string jws)
    {
        var dot = jws.LastIndexOf('.');
        var signature = Base64UrlEncoder.DecodeBytes(jws[(dot + 1)..]);
        signature[signature.Length / 2] ^= 1;
        return jws[..(dot + 1)] + Base64UrlEncoder.Encode(signature);
    }
}
