using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Api.Tests.TestKit;
using Microsoft.IdentityModel.Tokens;

namespace Api.Tests.Auth;

/// <summary>
/// SPEC §6's error table, row by row, as a client sees it on the wire: the status, the exact
/// RFC 6750 <c>WWW-Authenticate</c> challenge and the RFC 9457 problem body.
/// </summary>
public sealed class BearerErrorContractTests(ApiFixture fixture)
{
    private const string PrivateRoute = "/api/private";
    private const string ScopedRoute = "/api/private-scoped";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task No_Authorization_header_gets_401_with_a_plain_Bearer_challenge()
    {
        using var client = fixture.Api.CreateClient();
        using var response = await client.GetAsync(PrivateRoute, Cancel);

        await AssertNoCredentialsAnswerAsync(response);
    }

    [Theory]
    [InlineData("Basic dXNlcjpwYXNzd29yZA==")]
    [InlineData("Token abc.def.ghi")]
    [InlineData("Bearerabc.def.ghi")]
    public async Task Another_scheme_gets_401_with_a_plain_Bearer_challenge(string authorization)
    {
        using var response = await SendAsync(PrivateRoute, authorization);

        await AssertNoCredentialsAnswerAsync(response);
    }

    [Fact]
    public async Task A_valid_token_in_the_query_string_is_not_accepted()
    {
        using var client = fixture.Api.CreateClient();
        using var response = await client.GetAsync($"{PrivateRoute}?access_token={fixture.Tokens.Create()}", Cancel);

        await AssertNoCredentialsAnswerAsync(response);
    }

    [Theory]
    [InlineData("Bearer", "no token")]
    [InlineData("Bearer    ", "no token")]
    [InlineData("Bearer a b", "single token")]
    [InlineData("Bearer a.b.c extra", "single token")]
    [InlineData("Bearer a, Bearer b", "single token")]
    [InlineData("Bearer {\"alg\":\"none\"}", "single token")]
    public async Task Malformed_Bearer_header_gets_400_invalid_request(string authorization, string explained)
    {
        using var response = await SendAsync(PrivateRoute, authorization);

        var problem = await AssertRefusalAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        Assert.Contains(explained, problem.StringOf("detail"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_Authorization_headers_get_400_invalid_request()
    {
        // HttpClient folds repeated headers into one line ("Bearer a, Bearer b"), so two header
        // lines can only be sent over a raw connection.
        var token = fixture.Tokens.Create();
        using var response = await SendRawAsync(
            $"GET {PrivateRoute} HTTP/1.0\r\nAuthorization: Bearer {token}\r\nAuthorization: Bearer {token}\r\n\r\n");

        var problem = await AssertRefusalAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        Assert.Equal("The request has more than one Authorization header.", problem.StringOf("detail"));
    }

    /// <summary>A key no issuer publishes: what a forger signs with.</summary>
    private static readonly SigningKey Unpublished = SigningKey.CreateRsa("forged-key");

    /// <summary>
    /// Every way a token can be invalid, with the reason the API reports for it (null: not pinned,
    /// see <see cref="Token_signed_with_a_disallowed_algorithm_is_told_which_algorithms_are_allowed"/>).
    /// </summary>
    private static readonly Dictionary<string, (string? Reason, Func<ApiFixture, string> Mint)> InvalidTokens = new()
    {
        ["expired 60 s ago, beyond the 30 s skew"] = ("expired", f => f.Tokens.Create(t => t.ExpiresAt(DateTimeOffset.UtcNow.AddSeconds(-60)))),
        ["nbf 2 minutes from now"] = ("not_yet_valid", f => f.Tokens.Create(t => t.NotBefore(DateTimeOffset.UtcNow.AddMinutes(2)))),
        ["no exp"] = ("missing_exp", f => f.Tokens.Create(t => t.Without("exp"))),
        ["another issuer"] = ("bad_issuer", f => f.Tokens.Create(t => t.Claim("iss", "https://evil.example.test/"))),
        ["issuer without its trailing slash"] = ("bad_issuer", f => f.Tokens.Create(t => t.Claim("iss", f.Issuer.Issuer.TrimEnd('/')))),
        ["another audience"] = ("bad_audience", f => f.Tokens.Create(t => t.Claim("aud", "https://other-api.example.test"))),
        ["audience array without this API"] = ("bad_audience", f => f.Tokens.Create(t => t.Claim("aud", new[] { "https://other-api.example.test", "https://x.example.test/userinfo" }))),
        ["no aud"] = ("bad_audience", f => f.Tokens.Create(t => t.Without("aud"))),
        ["kid the issuer never published"] = ("unknown_kid", f => f.Tokens.Create(t => t.SignedWith(Unpublished))),
        ["no kid"] = ("unknown_kid", f => f.Tokens.Create(t => t.Header.Remove("kid"))),
        ["foreign key under a published kid"] = ("bad_signature", f => f.Tokens.Create(t => t.SignedWith(Unpublished).HeaderClaim("kid", f.Issuer.SigningKey.KeyId))),
        ["payload tampered after signing"] = ("bad_signature", f => Tampered(f.Tokens.Create(), "sub", "admin@clients")),
        ["alg none, no signature"] = (null, f => f.Tokens.Create(t => t.HeaderClaim("alg", "none"))),
        ["HS256 keyed with the issuer's public key"] = (null, f => f.Tokens.Create(t =>
        {
            t.Signer = new SymmetricSecurityKey(Base64UrlEncoder.DecodeBytes(f.Issuer.SigningKey.ToJwk()["n"]));
            t.HeaderClaim("alg", SecurityAlgorithms.HmacSha256);
        })),
        ["RS384, not an allowed algorithm"] = (null, f => f.Tokens.Create(t => t.SignedWith(f.Issuer.SigningKey, SecurityAlgorithms.RsaSha384))),
        ["PS256, not an allowed algorithm"] = (null, f => f.Tokens.Create(t => t.SignedWith(f.Issuer.SigningKey, SecurityAlgorithms.RsaSsaPssSha256))),
        ["crit header naming an unknown extension"] = ("unsupported_crit", f => f.Tokens.Create(t => t.HeaderClaim("crit", new[] { "urn:example:ext" }).HeaderClaim("urn:example:ext", true))),
        ["own key embedded as jwk header"] = ("unknown_kid", f => f.Tokens.Create(t => t.SignedWith(Unpublished).HeaderClaim("jwk", Unpublished.ToJwk()))),
        ["own JWKS named in a jku header"] = ("unknown_kid", f => f.Tokens.Create(t => t.SignedWith(Unpublished).HeaderClaim("jku", $"{f.Issuer.Issuer}.well-known/jwks.json"))),
        ["not a JWT (opaque token)"] = ("malformed_token", _ => "Zq3w9vLx8Hk2mN4pR7sT1uV6yB0cD5eF"),
        ["two parts only"] = ("malformed_token", f => string.Join('.', f.Tokens.Create().Split('.')[..2])),
        ["header that is not JSON"] = ("malformed_token", f => Base64UrlEncoder.Encode("not json") + "." + f.Tokens.Create().Split('.', 2)[1]),
        ["exp that is not a number"] = ("malformed_token", f => f.Tokens.Create(t => t.Claim("exp", "tomorrow"))),
        ["encrypted JWE (five parts)"] = ("encrypted_token", _ =>
            Base64UrlEncoder.Encode("""{"alg":"dir","enc":"A256GCM"}""") + "..MTIzNDU2Nzg5MDEy.Y2lwaGVydGV4dA.dGFnMTIzNDU2Nzg5MDEyMw"),
    };

    public static TheoryData<string> InvalidTokenCases => new(InvalidTokens.Keys);

    [Theory]
    [MemberData(nameof(InvalidTokenCases))]
    public async Task Invalid_token_gets_401_invalid_token_saying_why(string @case)
    {
        var (reason, mint) = InvalidTokens[@case];
        var token = mint(fixture);

        using var response = await SendAsync(PrivateRoute, $"Bearer {token}");

        var problem = await AssertRefusalAsync(response, HttpStatusCode.Unauthorized, "invalid_token");
        if (reason is not null)
        {
            Assert.Equal(reason, problem.StringOf("reason"));
        }

        await AssertTokenNotEchoedAsync(response, token);
    }

    [Theory]
    [InlineData("alg none, no signature")]
    [InlineData("HS256 keyed with the issuer's public key")]
    [InlineData("RS384, not an allowed algorithm")]
    [InlineData("PS256, not an allowed algorithm")]
    public async Task Token_signed_with_a_disallowed_algorithm_is_told_which_algorithms_are_allowed(string @case)
    {
        using var response = await SendAsync(PrivateRoute, $"Bearer {InvalidTokens[@case].Mint(fixture)}");

        var problem = await AssertRefusalAsync(response, HttpStatusCode.Unauthorized, "invalid_token");
        Assert.Equal("alg_not_allowed", problem.StringOf("reason"));
        Assert.Equal("The token's signing algorithm is not allowed; allowed: RS256.", problem.StringOf("detail"));
    }

    [Fact]
    public async Task Expired_token_gets_401_invalid_token_with_the_expiry_time()
    {
        var expiredAt = DateTimeOffset.UtcNow.AddMinutes(-5);
        using var client = fixture.Api.CreateClient(fixture.Tokens.Create(t => t.ExpiresAt(expiredAt)));
        using var response = await client.GetAsync(PrivateRoute, Cancel);

        var problem = await AssertRefusalAsync(response, HttpStatusCode.Unauthorized, "invalid_token");
        Assert.Equal($"The token expired at {expiredAt:yyyy-MM-dd'T'HH:mm:ss'Z'}; get a new one.", problem.StringOf("detail"));
    }

    [Fact]
    public async Task Token_for_another_audience_gets_401_naming_the_audience_to_request()
    {
        using var client = fixture.Api.CreateClient(fixture.Tokens.Create(t => t.Claim("aud", "https://other-api.example.test")));
        using var response = await client.GetAsync(PrivateRoute, Cancel);

        var challenge = WwwAuthenticate.From(response);
        Assert.Contains($"audience={ApiFactory.Audience}", challenge.ErrorDescription, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Valid_token_without_the_permission_gets_403_insufficient_scope_naming_it()
    {
        using var client = fixture.Api.CreateClient(fixture.Tokens.WithPermissions("write:messages"));
        using var response = await client.GetAsync(ScopedRoute, Cancel);

        var problem = await AssertRefusalAsync(response, HttpStatusCode.Forbidden, "insufficient_scope");
        Assert.Equal(
            "Bearer error=\"insufficient_scope\", error_description=\"This endpoint needs the permission 'read:messages'.\", scope=\"read:messages\"",
            WwwAuthenticate.From(response).Raw);
        Assert.Equal(["read:messages"], problem.GetProperty("requiredPermissions").EnumerateArray().Select(p => p.GetString()));
    }

    [Fact]
    public async Task Token_sent_before_the_signing_keys_were_ever_obtained_gets_503_with_Retry_After()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await issuer.StopAsync();
        await using var api = new ApiFactory(issuer);
        api.StartServer();

        using var client = api.CreateClient(api.Tokens.Create());
        using var response = await client.GetAsync(PrivateRoute, Cancel);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: {response.Headers.RetryAfter}");
        Assert.False(response.Headers.Contains("WWW-Authenticate"), "An outage is not the caller's bad token: no challenge.");
        var problem = await response.ReadProblemAsync(Cancel);
        Assert.Equal("keys_unavailable", problem.StringOf("reason"));
    }

    /// <summary>RFC 6750 §3.1: no credentials, so no error code, just the scheme.</summary>
    private static async Task AssertNoCredentialsAnswerAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = WwwAuthenticate.From(response);
        Assert.Equal("Bearer", challenge.Raw);
        var problem = await response.ReadProblemAsync(Cancel);
        Assert.Equal("missing_token", problem.StringOf("reason"));
        Assert.Null(problem.StringOf("error"));
        Assert.Contains("Authorization: Bearer <token>", problem.StringOf("detail"), StringComparison.Ordinal);
    }

    /// <summary>The challenge carries the error code and a description; the body says the same.</summary>
    private static async Task<JsonElement> AssertRefusalAsync(HttpResponseMessage response, HttpStatusCode status, string error)
    {
        Assert.Equal(status, response.StatusCode);
        var challenge = WwwAuthenticate.From(response);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Equal(error, challenge.Error);
        Assert.False(string.IsNullOrWhiteSpace(challenge.ErrorDescription), $"No error_description in: {challenge.Raw}");
        Assert.Equal(status == HttpStatusCode.Forbidden ? "read:messages" : null, challenge.Scope);

        var problem = await response.ReadProblemAsync(Cancel);
        Assert.Equal(error, problem.StringOf("error"));
        Assert.Equal(challenge.ErrorDescription, problem.StringOf("detail"));
        return problem;
    }

    private static async Task AssertTokenNotEchoedAsync(HttpResponseMessage response, string token)
    {
        var body = await response.Content.ReadAsStringAsync(Cancel);
        var headers = response.Headers.ToString();
        foreach (var part in token.Split('.').Where(p => p.Length >= 8))
        {
            Assert.DoesNotContain(part, body, StringComparison.Ordinal);
            Assert.DoesNotContain(part, headers, StringComparison.Ordinal);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(string route, string authorization)
    {
        using var client = fixture.Api.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, route);
        Assert.True(request.Headers.TryAddWithoutValidation("Authorization", authorization));
        return await client.SendAsync(request, Cancel);
    }

    /// <summary>Sends <paramref name="request"/> byte for byte and reads the HTTP/1.0 answer (no chunking, closed at the end).</summary>
    private async Task<HttpResponseMessage> SendRawAsync(string request)
    {
        using var client = fixture.Api.CreateClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, client.BaseAddress!.Port, timeout.Token);
        await socket.SendAsync(Encoding.ASCII.GetBytes(request.Replace("\r\n\r\n", $"\r\nHost: {client.BaseAddress.Authority}\r\n\r\n", StringComparison.Ordinal)), timeout.Token);

        using var received = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, timeout.Token)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        var text = Encoding.UTF8.GetString(received.ToArray());
        var headerEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var lines = text[..headerEnd].Split("\r\n");
        var response = new HttpResponseMessage((HttpStatusCode)int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture))
        {
            Content = new StringContent(text[(headerEnd + 4)..]),
        };
        response.Content.Headers.Clear();
        foreach (var line in lines.Skip(1))
        {
            var (name, value) = (line[..line.IndexOf(':', StringComparison.Ordinal)], line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim());
            if (!response.Headers.TryAddWithoutValidation(name, value))
            {
                response.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return response;
    }

    private static string Tampered(string token, string claim, string value)
    {
        var parts = token.Split('.');
        var payload = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Base64UrlEncoder.Decode(parts[1]))!;
        payload[claim] = JsonSerializer.SerializeToElement(value);
        parts[1] = Base64UrlEncoder.Encode(JsonSerializer.Serialize(payload));
        return string.Join('.', parts);
    }
}
