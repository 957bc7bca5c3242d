using System.Text;
using System.Text.Json;
using Api.Auth.DPoP;
using Api.Tests.TestKit;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;

namespace Api.Tests.Auth.DPoP;

/// <summary>
/// Every check of RFC 9449 §4.3 on a proof sent with an access token, each refusal with its own
/// reason code and RFC 9449 error, on a test clock. A broken proof is a valid one with exactly
/// one thing changed.
/// </summary>
public sealed class DPoPProofRulesTests : IDisposable
{
    private const string Url = "https://api.example.test/api/private-bound";
    private const string AccessToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl";

    /// <summary>Stands for "the token is bound to the key that signs the proof", the usual case.</summary>
    private const string BoundToProofKey = "(the proof key's thumbprint)";

    /// <summary>A whole second, as a proof's <c>iat</c> is.</summary>
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_900_000_000);

    private static readonly string[] CritExtensions = ["exp"];

    private readonly ProofKeys proofKeys = new();
    private readonly FakeTimeProvider clock = new(Now);
    private readonly DPoPKey key = DPoPKey.CreateEcdsa();

    /// <summary>A valid proof of <see cref="key"/> for <c>GET <see cref="Url"/></c> with <see cref="AccessToken"/>, made now.</summary>
    private TokenSpec ValidProof() => key.Proof("GET", Url, AccessToken, Now);

    public static TheoryData<string, Func<DPoPKey, TokenSpec, string>, string> BrokenProofs => new()
    {
        // RFC 9449 §4.3 check 2: a well-formed JWS.
        { "not three parts", (_, p) => p.Build() + ".x", "dpop_malformed" },
        { "padding in a part", (_, p) => p.Build().Replace(".", "=.", StringComparison.Ordinal), "dpop_malformed" },
        { "header not JSON", (_, p) => Base64UrlEncoder.Encode("typ=dpop+jwt") + p.Build()[p.Build().IndexOf('.', StringComparison.Ordinal)..], "dpop_malformed" },
        { "payload a JSON array", (_, p) => Unsigned(p.Header, "[1,2]"), "dpop_malformed" },
        { "a header member twice", (_, p) => RawJws("""{"typ":"dpop+jwt","alg":"ES256","alg":"none","jwk":{}}""", "{}"), "dpop_malformed" },
        { "longer than 8 KB", (_, p) => p.Claim("padding", new string('x', 9000)).Build(), "dpop_malformed" },

        // Checks 4, 5: typ and alg.
        { "no typ", (_, p) => Remove(p.Header, "typ", p).Build(), "dpop_typ" },
        { "typ JWT", (_, p) => p.HeaderClaim("typ", "JWT").Build(), "dpop_typ" },
        { "typ of an access token (at+jwt)", (_, p) => p.HeaderClaim("typ", "at+jwt").Build(), "dpop_typ" },
        { "crit", (_, p) => p.HeaderClaim("crit", CritExtensions).Build(), "dpop_unsupported_crit" },
        { "no alg", (_, p) => Remove(p.Header, "alg", p).Build(), "dpop_alg_not_allowed" },
        { "alg none, unsigned", (_, p) => p.HeaderClaim("alg", "none").Build(), "dpop_alg_not_allowed" },
        {
            "HS256 with a shared secret",
            (_, p) => { p.Signer = new SymmetricSecurityKey(new byte[32]); return p.HeaderClaim("alg", "HS256").Build(); },
            "dpop_alg_not_allowed"
        },
        {
            "ES512, not configured",
            (_, _) => { using var p521 = DPoPKey.CreateEcdsa("ES512"); return p521.Proof("GET", Url, AccessToken, Now).Build(); },
            "dpop_alg_not_allowed"
        },

        // Checks 6, 7: a public jwk of the algorithm's type that verifies the signature.
        { "no jwk", (_, p) => Remove(p.Header, "jwk", p).Build(), "dpop_bad_jwk" },
        { "jwk with the private key", (k, p) => p.HeaderClaim("jwk", k.PrivateJwk()).Build(), "dpop_bad_jwk" },
        { "jwk a string", (_, p) => p.HeaderClaim("jwk", "key").Build(), "dpop_bad_jwk" },
        { "jwk a symmetric key", (_, p) => p.HeaderClaim("jwk", new Dictionary<string, string> { ["kty"] = "oct", ["k"] = "AAAA" }).Build(), "dpop_bad_jwk" },
        { "jwk an RSA key for ES256", (_, p) => { using var rsa = DPoPKey.CreateRsa(); return p.HeaderClaim("jwk", rsa.PublicJwk()).Build(); }, "dpop_bad_jwk" },
        { "jwk on P-384 for ES256", (_, p) => { using var p384 = DPoPKey.CreateEcdsa("ES384"); return p.HeaderClaim("jwk", p384.PublicJwk()).Build(); }, "dpop_bad_jwk" },
        { "jwk x one byte short", (k, p) => p.HeaderClaim("jwk", ChangeJwk(k, "x", x => x[1..])).Build(), "dpop_bad_jwk" },
        { "jwk not a point on the curve", (k, p) => p.HeaderClaim("jwk", ChangeJwk(k, "y", y => { y[^1] ^= 1; return y; })).Build(), "dpop_bad_jwk" },
        {
            "RSA key of 1024 bits",
            (_, _) => { using var rsa = DPoPKey.CreateRsa(); using var small = DPoPKey.CreateRsa(bits: 1024); return rsa.Proof("GET", Url, AccessToken, Now).HeaderClaim("jwk", small.PublicJwk()).Build(); },
            "dpop_bad_jwk"
        },
        {
            "RSA exponent 1",
            (_, _) => { using var rsa = DPoPKey.CreateRsa(); return rsa.Proof("GET", Url, AccessToken, Now).HeaderClaim("jwk", ChangeJwk(rsa, "e", _ => [1])).Build(); },
            "dpop_bad_jwk"
        },
        { "signed by another key", (_, p) => { using var other = DPoPKey.CreateEcdsa(); p.Signer = other.Key; return p.Build(); }, "dpop_bad_signature" },
        { "signature altered", (_, p) => p.Build().WithBrokenSignature(), "dpop_bad_signature" },
        { "no signature", (_, p) => p.Build()[..(p.Build().LastIndexOf('.') + 1)], "dpop_bad_signature" },
        { "claims changed after signing", (_, p) => Resigned(p, p.Build()), "dpop_bad_signature" },

        // Check 3 and 8-12: the claims.
        { "no jti", (_, p) => p.Without("jti").Build(), "dpop_missing_jti" },
        { "empty jti", (_, p) => p.Claim("jti", "").Build(), "dpop_missing_jti" },
        { "jti a number", (_, p) => p.Claim("jti", 12345).Build(), "dpop_bad_jti" },
        { "jti of 257 characters", (_, p) => p.Claim("jti", new string('j', 257)).Build(), "dpop_bad_jti" },
        { "no htm", (_, p) => p.Without("htm").Build(), "dpop_htm_mismatch" },
        { "htm POST", (_, p) => p.Claim("htm", "POST").Build(), "dpop_htm_mismatch" },
        { "htm in lower case (methods are case-sensitive)", (_, p) => p.Claim("htm", "get").Build(), "dpop_htm_mismatch" },
        { "no htu", (_, p) => p.Without("htu").Build(), "dpop_htu_mismatch" },
        { "htu another path", (_, p) => p.Claim("htu", "https://api.example.test/api/private").Build(), "dpop_htu_mismatch" },
        { "htu a path in another case", (_, p) => p.Claim("htu", "https://api.example.test/API/private-bound").Build(), "dpop_htu_mismatch" },
        { "htu another host", (_, p) => p.Claim("htu", "https://evil.example.test/api/private-bound").Build(), "dpop_htu_mismatch" },
        { "htu http, not https", (_, p) => p.Claim("htu", "http://api.example.test/api/private-bound").Build(), "dpop_htu_mismatch" },
        { "htu another port", (_, p) => p.Claim("htu", "https://api.example.test:8443/api/private-bound").Build(), "dpop_htu_mismatch" },
        { "htu relative", (_, p) => p.Claim("htu", "/api/private-bound").Build(), "dpop_htu_mismatch" },
        { "htu with user info", (_, p) => p.Claim("htu", "https://user@api.example.test/api/private-bound").Build(), "dpop_htu_mismatch" },
        { "htu a path segment encoded as %2F", (_, p) => p.Claim("htu", "https://api.example.test/api%2Fprivate-bound").Build(), "dpop_htu_mismatch" },
        { "no iat", (_, p) => p.Without("iat").Build(), "dpop_missing_iat" },
        { "iat a string", (_, p) => p.Claim("iat", Now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)).Build(), "dpop_missing_iat" },
        { "made 301 s ago", (_, p) => p.Claim("iat", Now.AddSeconds(-301).ToUnixTimeSeconds()).Build(), "dpop_iat_too_old" },
        { "made 31 s ahead", (_, p) => p.Claim("iat", Now.AddSeconds(31).ToUnixTimeSeconds()).Build(), "dpop_iat_in_future" },
        { "no ath", (_, p) => p.Without("ath").Build(), "dpop_ath_mismatch" },
        { "ath of another token", (_, p) => p.Claim("ath", DPoPKey.AccessTokenHash(AccessToken + "x")).Build(), "dpop_ath_mismatch" },
        { "ath the token itself", (_, p) => p.Claim("ath", AccessToken).Build(), "dpop_ath_mismatch" },
    };

    [Theory]
    [MemberData(nameof(BrokenProofs))]
    public async Task A_broken_proof_is_refused_as_invalid_dpop_proof_with_its_own_reason(string @case, Func<DPoPKey, TokenSpec, string> breakProof, string reason)
    {
        var proof = breakProof(key, ValidProof());

        var result = await ValidateAsync(proof);

        Assert.False(result.IsValid, @case);
        Assert.True(reason == result.Failure.Reason, $"{@case}: expected {reason}, got {result.Failure.Reason} ({result.Failure.Description})");
        Assert.Equal("invalid_dpop_proof", result.Failure.Error);
        Assert.Equal(401, result.Failure.Status);
        AssertSafe(result.Failure, proof);
    }

    [Theory]
    [InlineData("ES256")]
    [InlineData("ES384")]
    [InlineData("PS256")]
    [InlineData("RS256")]
    public async Task A_valid_proof_of_each_default_algorithm_is_accepted_with_its_key_thumbprint(string alg)
    {
        using var client = alg.StartsWith("ES", StringComparison.Ordinal) ? DPoPKey.CreateEcdsa(alg) : DPoPKey.CreateRsa(alg);

        var result = await ValidateAsync(client.Proof("GET", Url, AccessToken, Now).Build(), bound: client.Thumbprint);

        Assert.True(result.IsValid, result.Failure?.Description);
        Assert.Equal(client.Thumbprint, result.Proof.Thumbprint);
    }

    [Theory]
    [InlineData("ES512")]
    [InlineData("RS512")]
    [InlineData("PS384")]
    public async Task Other_asymmetric_algorithms_are_accepted_once_configured(string alg)
    {
        using var client = alg.StartsWith("ES", StringComparison.Ordinal) ? DPoPKey.CreateEcdsa(alg) : DPoPKey.CreateRsa(alg);
        var options = new DPoPOptions { Algorithms = [alg] };

        var result = await ValidateAsync(client.Proof("GET", Url, AccessToken, Now).Build(), bound: client.Thumbprint, options: options);

        Assert.True(result.IsValid, result.Failure?.Description);
    }

    [Theory]
    [InlineData("dpop+jwt")]
    [InlineData("DPoP+JWT")]
    [InlineData("application/dpop+jwt")]
    public async Task The_typ_is_a_media_type_compared_without_case_and_with_or_without_application_(string typ)
    {
        var result = await ValidateAsync(ValidProof().HeaderClaim("typ", typ).Build());

        Assert.True(result.IsValid, result.Failure?.Description);
    }

    [Fact]
    public async Task Members_of_the_jwk_beyond_the_key_do_not_change_its_thumbprint()
    {
        var jwk = key.PublicJwk();
        jwk["kid"] = "client-key-1";
        jwk["use"] = "sig";
        jwk["alg"] = "ES256";

        var result = await ValidateAsync(ValidProof().HeaderClaim("jwk", jwk).Build());

        Assert.True(result.IsValid, result.Failure?.Description);
        Assert.Equal(key.Thumbprint, result.Proof.Thumbprint);
    }

    [Theory]
    [InlineData("https://api.example.test/api/x", "HTTPS://API.Example.TEST/api/x")]
    [InlineData("https://api.example.test/api/x", "https://api.example.test:443/api/x")]
    [InlineData("http://localhost:80/api/x", "http://localhost/api/x")]
    [InlineData("http://localhost:5080/api/x", "http://localhost:5080/api/x?page=2#top")]
    [InlineData("https://api.example.test/api/~x", "https://api.example.test/api/%7Ex")]
    [InlineData("https://api.example.test/api/x", "https://api.example.test/api/%78")]
    [InlineData("https://api.example.test/a%2Fb", "https://api.example.test/a%2fb")]
    [InlineData("https://api.example.test/caf%C3%A9", "https://api.example.test/caf%c3%a9")]
    [InlineData("https://api.example.test/", "https://api.example.test")]
    [InlineData("https://api.example.test/api/x", "https://api.example.test/api/./y/../x")]
    [InlineData("http://[::1]:8080/api/x", "http://[0:0:0:0:0:0:0:1]:8080/api/x")]
    public async Task The_htu_matches_the_request_URL_after_RFC_3986_normalization_ignoring_query_and_fragment(string requestUrl, string htu)
    {
        var result = await ValidateAsync(key.Proof("GET", htu, AccessToken, Now).Build(), url: requestUrl);

        Assert.True(result.IsValid, result.Failure?.Description);
    }

    [Fact]
    public async Task A_request_URL_with_no_http_scheme_and_host_matches_no_other_spelling()
    {
        // What the server would build from a request without a Host header.
        var result = await ValidateAsync(key.Proof("GET", "http://localhost/api/x", AccessToken, Now).Build(), url: "http:///api/x");

        Assert.Equal(("invalid_dpop_proof", "dpop_htu_mismatch"), (result.Failure?.Error, result.Failure?.Reason));
        Assert.Contains("this request's URL has no valid scheme and host", result.Failure!.Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-300)]
    [InlineData(30)]
    public async Task The_proof_window_is_ProofMaxAge_back_and_ProofLeeway_ahead_to_the_second(int offsetSeconds)
    {
        var result = await ValidateAsync(ValidProof().Claim("iat", Now.AddSeconds(offsetSeconds).ToUnixTimeSeconds()).Build());

        Assert.True(result.IsValid, result.Failure?.Description);
    }

    [Fact]
    public async Task The_proof_window_follows_the_configured_ProofMaxAge_and_ProofLeeway()
    {
        var options = new DPoPOptions { ProofMaxAge = TimeSpan.FromSeconds(60), ProofLeeway = TimeSpan.Zero };

        var old = await ValidateAsync(ValidProof().Claim("iat", Now.AddSeconds(-61).ToUnixTimeSeconds()).Build(), options: options);
        var ahead = await ValidateAsync(ValidProof().Claim("iat", Now.AddSeconds(1).ToUnixTimeSeconds()).Build(), options: options);
        var edge = await ValidateAsync(ValidProof().Claim("iat", Now.AddSeconds(-60).ToUnixTimeSeconds()).Build(), options: options);

        Assert.Equal("dpop_iat_too_old", old.Failure?.Reason);
        Assert.Equal("dpop_iat_in_future", ahead.Failure?.Reason);
        Assert.True(edge.IsValid, edge.Failure?.Description);
    }

    [Fact]
    public async Task A_token_bound_to_another_key_is_refused_as_invalid_token()
    {
        using var other = DPoPKey.CreateEcdsa();
        var proof = ValidProof().Build();

        var result = await ValidateAsync(proof, bound: other.Thumbprint);

        Assert.Equal(("invalid_token", "dpop_key_mismatch", 401), (result.Failure?.Error, result.Failure?.Reason, result.Failure?.Status));
        AssertSafe(result.Failure!, proof);
    }

    [Fact]
    public async Task A_token_bound_to_no_key_is_refused_as_invalid_token()
    {
        var result = await ValidateAsync(ValidProof().Build(), bound: null);

        Assert.Equal(("invalid_token", "dpop_token_not_bound"), (result.Failure?.Error, result.Failure?.Reason));
    }

    [Fact]
    public async Task At_the_token_endpoint_there_is_no_token_so_no_ath_and_no_binding_to_check()
    {
        var proof = key.Proof("POST", "https://api.example.test/oauth/token", at: Now).Build();

        var result = await ValidateAsync(proof, method: "POST", url: "https://api.example.test/oauth/token", accessToken: null, bound: null);

        Assert.True(result.IsValid, result.Failure?.Description);
        Assert.Equal(key.Thumbprint, result.Proof.Thumbprint);
    }

    [Fact]
    public async Task No_DPoP_header_is_refused_as_invalid_dpop_proof()
    {
        var none = await ValidateAsync(StringValues.Empty);
        var empty = await ValidateAsync(new StringValues(""));

        Assert.Equal(("invalid_dpop_proof", "dpop_proof_missing"), (none.Failure?.Error, none.Failure?.Reason));
        Assert.Equal(("invalid_dpop_proof", "dpop_proof_missing"), (empty.Failure?.Error, empty.Failure?.Reason));
    }

    [Fact]
    public async Task Two_DPoP_headers_are_refused_even_when_both_are_valid()
    {
        var result = await ValidateAsync(new StringValues([ValidProof().Build(), ValidProof().Build()]));

        Assert.Equal(("invalid_dpop_proof", "dpop_proof_repeated"), (result.Failure?.Error, result.Failure?.Reason));
    }

    [Fact]
    public async Task A_proof_is_accepted_once_and_refused_as_replayed_afterwards()
    {
        var validator = Validator();
        var proof = ValidProof().Build();

        var first = await ValidateAsync(proof, validator: validator);
        var again = await ValidateAsync(proof, validator: validator);

        Assert.True(first.IsValid, first.Failure?.Description);
        Assert.Equal(("invalid_dpop_proof", "dpop_replayed"), (again.Failure?.Error, again.Failure?.Reason));
    }

    [Fact]
    public async Task The_same_jti_from_another_key_is_another_proof()
    {
        var validator = Validator();
        using var other = DPoPKey.CreateEcdsa();

        var mine = await ValidateAsync(ValidProof().Claim("jti", "shared").Build(), validator: validator);
        var theirs = await ValidateAsync(other.Proof("GET", Url, AccessToken, Now).Claim("jti", "shared").Build(), bound: other.Thumbprint, validator: validator);

        Assert.True(mine.IsValid, mine.Failure?.Description);
        Assert.True(theirs.IsValid, theirs.Failure?.Description);
    }

    [Fact]
    public async Task A_replay_is_caught_at_the_last_instant_the_proof_could_be_accepted()
    {
        // The worst case: a proof made ProofLeeway ahead of our clock stays acceptable for
        // ProofMaxAge + ProofLeeway after we first see it; the replay cache must still hold it then.
        var validator = Validator();
        var proof = ValidProof().Claim("iat", Now.AddSeconds(30).ToUnixTimeSeconds()).Build();
        var first = await ValidateAsync(proof, validator: validator);

        clock.Advance(TimeSpan.FromSeconds(330));
        var replay = await ValidateAsync(proof, validator: validator);

        Assert.True(first.IsValid, first.Failure?.Description);
        Assert.Equal("dpop_replayed", replay.Failure?.Reason);
    }

    [Fact]
    public async Task When_the_replay_cache_is_full_of_live_proofs_a_new_one_gets_503_until_the_oldest_expires()
    {
        var options = new DPoPOptions { ReplayCacheSize = 1 };
        var validator = Validator(options);
        var first = await ValidateAsync(ValidProof().Build(), validator: validator);

        var refused = await ValidateAsync(ValidProof().Build(), validator: validator);
        var retryAfter = refused.Failure?.RetryAfter ?? TimeSpan.Zero;
        clock.Advance(retryAfter - TimeSpan.FromTicks(1));
        var early = await ValidateAsync(key.Proof("GET", Url, AccessToken, clock.GetUtcNow()).Build(), validator: validator);
        clock.Advance(TimeSpan.FromTicks(1));
        var later = await ValidateAsync(key.Proof("GET", Url, AccessToken, clock.GetUtcNow()).Build(), validator: validator);

        Assert.True(first.IsValid, first.Failure?.Description);
        Assert.Equal((503, null, "dpop_replay_store_full"), (refused.Failure?.Status, refused.Failure?.Error, refused.Failure?.Reason));
        Assert.InRange(retryAfter, TimeSpan.FromSeconds(330), TimeSpan.FromSeconds(331)); // ProofMaxAge + ProofLeeway
        Assert.Equal("dpop_replay_store_full", early.Failure?.Reason);
        Assert.True(later.IsValid, later.Failure?.Description);
    }

    [Fact]
    public async Task A_proof_the_replay_store_cannot_record_is_never_accepted()
    {
        var options = Options.Create(new DPoPOptions());
        options.Value.ApplyListDefaults();
        var validator = new DPoPProofValidator(options, new UnreachableReplayStore(), new DPoPNonces(options, clock), proofKeys, clock);

        var result = await ValidateAsync(ValidProof().Build(), validator: validator);

        Assert.Equal((503, null, "dpop_replay_store_unavailable"), (result.Failure?.Status, result.Failure?.Error, result.Failure?.Reason));
        Assert.Equal(UnreachableReplayStore.RetryAfter, result.Failure?.RetryAfter);
        Assert.Equal("dpop_replay_store_unavailable", result.Failure?.ToRefusal().Reason);
    }

    public void Dispose()
    {
        key.Dispose();
        proofKeys.Dispose();
    }

    private DPoPProofValidator Validator(DPoPOptions? options = null)
    {
        var settings = Options.Create(options ?? new DPoPOptions());
        settings.Value.ApplyListDefaults();
        return new DPoPProofValidator(settings, new InMemoryDPoPReplayCache(settings, clock), new DPoPNonces(settings, clock), proofKeys, clock);
    }

    private async Task<DPoPProofResult> ValidateAsync(
        StringValues proofs, string method = "GET", string url = Url, string? accessToken = AccessToken, string? bound = BoundToProofKey, DPoPOptions? options = null, DPoPProofValidator? validator = null)
    {
        validator ??= Validator(options);
        return await validator.ValidateAsync(
            new DPoPProofRequest(proofs, method, url, accessToken is null ? null : DPoPKey.AccessTokenHash(accessToken), bound == BoundToProofKey ? key.Thumbprint : bound), TestContext.Current.CancellationToken);
    }

    /// <summary>A refusal's words never hold the proof or the token, nor any part of them.</summary>
    private static void AssertSafe(DPoPProofFailure failure, string proof)
    {
        Assert.DoesNotContain(AccessToken, failure.Description, StringComparison.Ordinal);
        foreach (var part in proof.Split('.').Where(p => p.Length >= 8))
        {
            Assert.DoesNotContain(part, failure.Description, StringComparison.Ordinal);
        }
    }

    private static TokenSpec Remove(Dictionary<string, object?> members, string name, TokenSpec proof)
    {
        members.Remove(name);
        return proof;
    }

    /// <summary>The key's public JWK with one member's bytes changed.</summary>
    private static Dictionary<string, object?> ChangeJwk(DPoPKey client, string member, Func<byte[], byte[]> change)
    {
        var jwk = client.PublicJwk();
        jwk[member] = Base64UrlEncoder.Encode(change(Base64UrlEncoder.DecodeBytes((string)jwk[member]!)));
        return jwk;
    }

    /// <summary><paramref name="signed"/>'s header and signature around another payload (a later <c>htm</c>).</summary>
    private static string Resigned(TokenSpec proof, string signed)
    {
        var parts = signed.Split('.');
        proof.Claim("htm", "DELETE");
        return $"{parts[0]}.{proof.Build().Split('.')[1]}.{parts[2]}";
    }

    private static string Unsigned(Dictionary<string, object?> header, string payloadJson) =>
        $"{Base64UrlEncoder.Encode(JsonSerializer.Serialize(header))}.{Base64UrlEncoder.Encode(payloadJson)}.AAAA";

    private static string RawJws(string headerJson, string payloadJson) =>
        $"{Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(headerJson))}.{Base64UrlEncoder.Encode(payloadJson)}.AAAA";

    /// <summary>A shared replay store that cannot be reached: it records nothing.</summary>
    private sealed class UnreachableReplayStore : IDPoPReplayCache
    {
        public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

        public ValueTask<ProofRecording> TryRecordAsync(string thumbprint, string jti, TimeSpan keepFor, CancellationToken cancellationToken) =>
            ValueTask.FromResult(ProofRecording.Unavailable(RetryAfter));
    }
}
