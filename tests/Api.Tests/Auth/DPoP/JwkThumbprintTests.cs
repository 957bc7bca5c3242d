using Api.Auth.DPoP;
using Api.Tests.TestKit;
using Microsoft.IdentityModel.Tokens;

namespace Api.Tests.Auth.DPoP;

/// <summary>RFC 7638 thumbprints: what a DPoP-bound token's <c>cnf.jkt</c> holds.</summary>
public sealed class JwkThumbprintTests
{
    /// <summary>The RSA key of RFC 7638 §3.1 and the thumbprint the RFC gives for it.</summary>
    private const string Rfc7638Modulus =
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

    [Fact]
    public void The_RSA_thumbprint_is_the_one_RFC_7638_section_3_1_gives_for_its_example_key() =>
        Assert.Equal(
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
            JwkThumbprint.OfRsa(Base64UrlEncoder.DecodeBytes(Rfc7638Modulus), Base64UrlEncoder.DecodeBytes("AQAB")));

    [Theory]
    [InlineData("ES256", "P-256")]
    [InlineData("ES384", "P-384")]
    [InlineData("ES512", "P-521")]
    public void An_EC_thumbprint_is_the_one_IdentityModel_computes_for_the_same_key(string alg, string curve)
    {
        using var key = DPoPKey.CreateEcdsa(alg);
        var jwk = key.PublicJwk();

        var thumbprint = JwkThumbprint.OfEc(curve, Base64UrlEncoder.DecodeBytes((string)jwk["x"]!), Base64UrlEncoder.DecodeBytes((string)jwk["y"]!));

        Assert.Equal(key.Thumbprint, thumbprint);
    }

    [Fact]
    public void An_RSA_thumbprint_is_the_one_IdentityModel_computes_for_the_same_key()
    {
        using var key = DPoPKey.CreateRsa();
        var jwk = key.PublicJwk();

        var thumbprint = JwkThumbprint.OfRsa(Base64UrlEncoder.DecodeBytes((string)jwk["n"]!), Base64UrlEncoder.DecodeBytes((string)jwk["e"]!));

        Assert.Equal(key.Thumbprint, thumbprint);
    }
}
