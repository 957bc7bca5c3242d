using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Api.Tests.TestKit;
using Microsoft.IdentityModel.Tokens;

namespace Api.Tests.Auth.Hostile;

/// <summary>
/// A corpus of forged and broken tokens. Every one is answered 401 <c>invalid_token</c> with the
/// reason the API names for it (README, "Why was my token refused?"), and none reaches an
/// endpoint. The table is also what <see cref="RefusalLogTests"/> sends.
/// </summary>
public sealed class ForgedTokenCorpusTests(HostileWorld world) : IClassFixture<HostileWorld>
{
    /// <summary>Answers with the caller's subject: seeing one means a forged token got in.</summary>
    private const string Route = "/api/me";

    private static readonly string[] UnknownExtension = ["urn:example:ext"];

    /// <summary>Each case: the reason code the API reports, and how the token is made.</summary>
    internal static readonly IReadOnlyDictionary<string, (string Reason, Func<HostileWorld, string> Mint)> Cases =
        new Dictionary<string, (string, Func<HostileWorld, string>)>
        {
            // Not a JWS at all.
            ["garbage"] = ("malformed_token", _ => "garbage"),
            ["two parts"] = ("malformed_token", w => string.Join('.', w.Tokens.Create().Split('.')[..2])),
            ["four parts"] = ("malformed_token", w => w.Tokens.Create() + ".c2lnbmF0dXJl"),
            ["five parts of garbage"] = ("encrypted_token", _ => "a.b.c.d.e"),
            ["encrypted JWE (five parts)"] = ("encrypted_token", _ =>
                Base64UrlEncoder.Encode("""{"alg":"dir","enc":"A256GCM"}""") + "..MTIzNDU2Nzg5MDEy.Y2lwaGVydGV4dA.dGFnMTIzNDU2Nzg5MDEyMw"),
            ["bad base64url in the payload (~ + /)"] = ("malformed_token", w => Replace(w.Tokens.Create(), 1, p => p.Insert(4, "~+/"))),
            ["header that is not JSON"] = ("malformed_token", w => Base64UrlEncoder.Encode("not json") + "." + w.Tokens.Create().Split('.', 2)[1]),
            ["exp that is not a number"] = ("malformed_token", w => w.Tokens.Create(t => t.Claim("exp", "tomorrow"))),

            // Signatures that are no signature, or not the issuer's.
            ["alg none"] = ("alg_not_allowed", w => w.Tokens.Create(t => t.HeaderClaim("alg", "none"))),
            ["alg None"] = ("alg_not_allowed", w => w.Tokens.Create(t => t.HeaderClaim("alg", "None"))),
            ["alg NONE"] = ("alg_not_allowed", w => w.Tokens.Create(t => t.HeaderClaim("alg", "NONE"))),
            ["alg null"] = ("alg_not_allowed", w => w.Tokens.Create(t => t.HeaderClaim("alg", null))),
            ["alg missing"] = ("alg_not_allowed", w => w.Tokens.Create(t => t.Header.Remove("alg"))),
            ["alg a number, not a string"] = ("malformed_token", w => w.Tokens.Create(t => t.HeaderClaim("alg", 256))),
            ["HS256 keyed with the issuer's public key as PEM text"] = ("alg_not_allowed", w =>
                HmacSigned(w, Encoding.ASCII.GetBytes(((RsaSecurityKey)w.Issuer.SigningKey.Key).Rsa.ExportSubjectPublicKeyInfoPem()))),
            ["HS256 keyed with the issuer's public JWK JSON"] = ("alg_not_allowed", w =>
                HmacSigned(w, JsonSerializer.SerializeToUtf8Bytes(w.Issuer.SigningKey.ToJwk()))),
            ["HS256 keyed with the issuer's RSA modulus bytes"] = ("alg_not_allowed", w =>
                HmacSigned(w, Base64UrlEncoder.DecodeBytes(w.Issuer.SigningKey.ToJwk()["n"]))),
            ["HS256 keyed with a guessed secret"] = ("alg_not_allowed", w => HmacSigned(w, "secret"u8.ToArray())),
            ["PS256 signed by the issuer's RSA key"] = ("alg_not_allowed", w => w.Tokens.Create(t => t.SignedWith(w.Issuer.SigningKey, SecurityAlgorithms.RsaSsaPssSha256))),
            ["RS384 signed by the issuer's RSA key"] = ("alg_not_allowed", w => w.Tokens.Create(t => t.SignedWith(w.Issuer.SigningKey, SecurityAlgorithms.RsaSha384))),
            ["ES256 signed by the issuer's published EC key"] = ("alg_not_allowed", w => w.Tokens.Create(t => t.SignedWith(w.EcKey))),
            ["RS256 by an attacker key reusing the issuer's kid"] = ("bad_signature", w =>
                w.Tokens.Create(t => t.SignedWith(w.AttackerKey).HeaderClaim("kid", w.Issuer.SigningKey.KeyId))),
            ["payload tampered after signing"] = ("bad_signature", w => Replace(w.Tokens.Create(), 1, p => Base64UrlEncoder.Encode(
                Base64UrlEncoder.Decode(p).Replace("test-client@clients", "admin@clients", StringComparison.Ordinal)))),
            ["signature stripped"] = ("bad_signature", w => Replace(w.Tokens.Create(), 2, _ => string.Empty)),
            ["another valid token's signature"] = ("bad_signature", w =>
                Replace(w.Tokens.Create(), 2, _ => w.Tokens.Create(t => t.Claim("sub", "someone-else@clients")).Split('.')[2])),

            // Keys the token brings or names itself: never trusted, never fetched.
            ["embedded jwk header with the attacker's key"] = ("unknown_kid", w =>
                w.Tokens.Create(t => t.SignedWith(w.AttackerKey).HeaderClaim("jwk", w.AttackerKey.ToJwk()))),
            ["jku pointing at the attacker's server"] = ("unknown_kid", w =>
                w.Tokens.Create(t => t.SignedWith(w.AttackerKey).HeaderClaim("jku", w.Attacker.JwksUri.AbsoluteUri))),
            ["jku pointing at the issuer's own JWKS"] = ("unknown_kid", w =>
                w.Tokens.Create(t => t.SignedWith(w.AttackerKey).HeaderClaim("jku", $"{w.Issuer.Issuer}.well-known/jwks.json"))),
            ["x5u pointing at the attacker's server"] = ("unknown_kid", w =>
                w.Tokens.Create(t => t.SignedWith(w.AttackerKey).HeaderClaim("x5u", w.Attacker.CertificateUri.AbsoluteUri))),
            ["x5c with the attacker's self-signed certificate"] = ("unknown_kid", w =>
                w.Tokens.Create(t => t.SignedWith(w.AttackerKey).HeaderClaim("x5c", new[] { Convert.ToBase64String(w.AttackerCertificate.RawData) }))),
            ["kid the issuer never published"] = ("unknown_kid", w => w.Tokens.Create(t => t.HeaderClaim("kid", "never-published"))),
            ["no kid"] = ("unknown_kid", w => w.Tokens.Create(t => t.Header.Remove("kid"))),
            ["kid with path traversal"] = ("unknown_kid", w => w.Tokens.Create(t => t.HeaderClaim("kid", "../../etc/passwd"))),
            ["kid with SQL-like text"] = ("unknown_kid", w => w.Tokens.Create(t => t.HeaderClaim("kid", "' OR 1=1 --"))),

            // Genuinely signed, but not a token for this API now.
            ["expired 60 s ago, beyond the 30 s skew"] = ("expired", w => w.Tokens.Create(t => t.ExpiresAt(DateTimeOffset.UtcNow.AddSeconds(-60)))),
            ["nbf 2 minutes from now"] = ("not_yet_valid", w => w.Tokens.Create(t => t.NotBefore(DateTimeOffset.UtcNow.AddMinutes(2)))),
            ["no exp"] = ("missing_exp", w => w.Tokens.Create(t => t.Without("exp"))),
            ["another issuer"] = ("bad_issuer", w => w.Tokens.Create(t => t.Claim("iss", "https://evil.example.test/"))),
            ["no iss"] = ("bad_issuer", w => w.Tokens.Create(t => t.Without("iss"))),
            ["issuer without its trailing slash"] = ("bad_issuer", w => w.Tokens.Create(t => t.Claim("iss", w.Issuer.Issuer.TrimEnd('/')))),
            ["another audience"] = ("bad_audience", w => w.Tokens.Create(t => t.Claim("aud", "https://other-api.example.test"))),
            ["audience array without this API"] = ("bad_audience", w =>
                w.Tokens.Create(t => t.Claim("aud", new[] { "https://other-api.example.test", "https://x.example.test/userinfo" }))),
            ["no aud"] = ("bad_audience", w => w.Tokens.Create(t => t.Without("aud"))),
            ["crit header naming an unknown extension"] = ("unsupported_crit", w =>
                w.Tokens.Create(t => t.HeaderClaim("crit", UnknownExtension).HeaderClaim(UnknownExtension[0], true))),
        };

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Forged_or_broken_token_gets_401_invalid_token_and_never_reaches_the_endpoint(string @case)
    {
        var (reason, mint) = Cases[@case];
        var token = mint(world);
        var attackerRequestsBefore = world.Attacker.Requests;

        using var response = await world.Api.GetWithAuthorizationAsync(Route, $"Bearer {token}");

        var problem = await Refusals.AssertInvalidTokenAsync(response);
        Assert.Equal(reason, problem.StringOf("reason"));
        if (reason == "alg_not_allowed")
        {
            Assert.Equal("The token's signing algorithm is not allowed; allowed: RS256.", problem.StringOf("detail"));
        }

        await AssertNotEchoedAsync(response, token);
        Assert.True(world.Attacker.Requests == attackerRequestsBefore, "The API fetched a URL the token named (jku/x5u): keys a token points at are never trusted.");
    }

    [Fact]
    public async Task An_unforged_token_from_the_same_factory_gets_200_so_each_refusal_is_for_its_forgery()
    {
        // The baseline every case departs from: if this failed, the corpus would prove nothing.
        using var response = await world.Api.GetWithAuthorizationAsync(Route, $"Bearer {world.Tokens.Create()}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var me = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal("test-client@clients", me.GetProperty("subject").GetString());
    }

    [Fact]
    public async Task A_100_KB_token_is_refused_431_by_Kestrel_never_5xx_and_the_server_keeps_answering()
    {
        // Kestrel's request-header limit (32 KB) answers before authentication ever sees the token.
        var token = world.Tokens.Create(t => t.Claim("padding", new string('A', 100 * 1024)));

        var status = await StatusOfHugeRequestAsync(token);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, status);
        using var after = await world.Api.GetWithAuthorizationAsync(Route, $"Bearer {world.Tokens.Create()}");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task A_20_KB_forged_token_under_the_header_limit_gets_401_invalid_token()
    {
        var token = Replace(world.Tokens.Create(t => t.Claim("padding", new string('A', 20 * 1024))), 2, _ => Base64UrlEncoder.Encode(new byte[256]));

        using var response = await world.Api.GetWithAuthorizationAsync(Route, $"Bearer {token}");

        var problem = await Refusals.AssertInvalidTokenAsync(response);
        Assert.Equal("bad_signature", problem.StringOf("reason"));
    }

    [Theory]
    [InlineData("/api/private")]
    [InlineData("/api/me")]
    public async Task A_valid_token_in_the_query_string_is_not_accepted_401_as_if_none_was_sent(string route)
    {
        // RFC 6750 §2.3 allows ?access_token= only where headers are impossible; URLs end up in
        // logs, browser history and Referer headers, so this API never reads one.
        using var response = await world.Api.GetWithAuthorizationAsync($"{route}?access_token={world.Tokens.Create()}", authorization: null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(WwwAuthenticate.NoCredentials, WwwAuthenticate.RawOf(response));
        var problem = await response.ReadProblemAsync(Cancel);
        Assert.Equal("missing_token", problem.StringOf("reason"));
        Refusals.AssertNoEndpointAnswered(problem);
    }

    /// <summary>The status of a request too big for Kestrel, or 0 if the connection broke (never a pass).</summary>
    private async Task<HttpStatusCode> StatusOfHugeRequestAsync(string token)
    {
        try
        {
            using var response = await world.Api.GetWithAuthorizationAsync(Route, $"Bearer {token}");
            return response.StatusCode;
        }
        catch (HttpRequestException e)
        {
            Assert.Fail($"The connection broke instead of an HTTP answer: {e.Message}");
            return 0;
        }
    }

    /// <summary>Same token, HS256-signed with <paramref name="secret"/> (by hand: any length, as a forger would).</summary>
    private static string HmacSigned(HostileWorld world, byte[] secret)
    {
        var signingInput = world.Tokens.Create(t =>
        {
            t.Signer = null;
            t.HeaderClaim("alg", SecurityAlgorithms.HmacSha256);
        }).TrimEnd('.');
        return signingInput + "." + Base64UrlEncoder.Encode(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(signingInput)));
    }

    private static string Replace(string token, int part, Func<string, string> change)
    {
        var parts = token.Split('.');
        parts[part] = change(parts[part]);
        return string.Join('.', parts);
    }

    private static async Task AssertNotEchoedAsync(HttpResponseMessage response, string token)
    {
        var answer = response.Headers + await response.Content.ReadAsStringAsync(Cancel);
        foreach (var part in token.Split('.').Where(p => p.Length >= 8))
        {
            Assert.DoesNotContain(part, answer, StringComparison.Ordinal);
        }
    }
}
