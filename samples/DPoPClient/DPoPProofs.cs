using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Samples.DPoPClient;

/// <summary>
/// Makes DPoP proofs (RFC 9449 §4.2) with one ES256 key: a new proof for every request, naming
/// its method and URL, and the access token's hash when one is sent with it.
/// </summary>
internal sealed class DPoPProofs(ECDsa key)
{
    private readonly JsonWebTokenHandler handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly SigningCredentials credentials = new(new ECDsaSecurityKey(key), SecurityAlgorithms.EcdsaSha256);

    /// <summary>The public half of the key, sent in every proof's <c>jwk</c> header; never the private one.</summary>
    private readonly Dictionary<string, object> publicJwk = PublicJwk(key);

    /// <summary>The last nonce a server handed out in a <c>DPoP-Nonce</c> header (RFC 9449 §8, §9), put in later proofs.</summary>
    public string? Nonce { get; set; }

    public string Create(HttpMethod method, Uri url, string? accessToken = null)
    {
        var claims = new Dictionary<string, object>
        {
            ["jti"] = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16)),
            ["htm"] = method.Method,
            ["htu"] = url.GetLeftPart(UriPartial.Path), // without query and fragment
            ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        };
        if (accessToken is not null)
        {
            claims["ath"] = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));
        }

        if (Nonce is not null)
        {
            claims["nonce"] = Nonce;
        }

        return handler.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = "dpop+jwt",
            AdditionalHeaderClaims = new Dictionary<string, object> { ["jwk"] = publicJwk },
            Claims = claims,
            SigningCredentials = credentials,
        });
    }

    private static Dictionary<string, object> PublicJwk(ECDsa key)
    {
        var parameters = key.ExportParameters(includePrivateParameters: false);
        return new Dictionary<string, object>
        {
            ["kty"] = "EC",
            ["crv"] = "P-256",
            ["x"] = Base64UrlEncoder.Encode(parameters.Q.X),
            ["y"] = Base64UrlEncoder.Encode(parameters.Q.Y),
        };
    }
}
