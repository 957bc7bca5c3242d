using System.Net;
using System.Text.Json;
using Api.Tests.TestKit;

namespace Api.Tests.Auth;

/// <summary>
/// The error table (README, "Errors"), row by row, as a client sees it on the wire: the status,
/// the exact RFC 6750 <c>WWW-Authenticate</c> challenge and the RFC 9457 problem body.
/// </summary>
public sealed class BearerErrorContractTests(ApiFixture fixture)
{
    private const string PrivateRoute = "/api/private";
    private const string ScopedRoute = "/api/private-scoped";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task No_Authorization_header_gets_401_with_a_Bearer_and_a_DPoP_challenge_without_error_code()
    {
        using var client = fixture.Api.CreateClient();
        using var response = await client.GetAsync(PrivateRoute, Cancel);

        await AssertNoCredentialsAnswerAsync(response);
    }

    [Theory]
    [InlineData("Basic dXNlcjpwYXNzd29yZA==")]
    [InlineData("Token abc.def.ghi")]
    [InlineData("Bearerabc.def.ghi")]
    public async Task Another_scheme_gets_401_with_a_Bearer_and_a_DPoP_challenge_without_error_code(string authorization)
    {
        using var response = await fixture.Api.GetWithAuthorizationAsync(PrivateRoute, authorization);

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
        using var response = await fixture.Api.GetWithAuthorizationAsync(PrivateRoute, authorization);

        var problem = await AssertRefusalAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        Assert.Contains(explained, problem.StringOf("detail"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_Authorization_headers_get_400_invalid_request()
    {
        // HttpClient folds repeated headers into one line ("Bearer a, Bearer b"), so two header
        // lines can only be sent over a raw connection.
        var token = fixture.Tokens.Create();
        var raw = await fixture.Api.SendRawAsync(RawHttp.Get(PrivateRoute, $"Authorization: Bearer {token}", $"Authorization: Bearer {token}"));
        using var response = raw.ToResponseMessage();

        var problem = await AssertRefusalAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        Assert.Equal("The request has more than one Authorization header.", problem.StringOf("detail"));
    }

    [Fact]
    public async Task Invalid_token_gets_401_invalid_token_with_a_description()
    {
        // One row here; every way a token can be invalid is in Hostile/ForgedTokenCorpusTests, and
        // what each description says is in Hostile/DiagnosisTests.
        var expiredAt = DateTimeOffset.UtcNow.AddMinutes(-5);
        using var response = await fixture.Api.GetWithAuthorizationAsync(PrivateRoute, AuthorizationHeader.Bearer(fixture.Tokens.Create(t => t.ExpiresAt(expiredAt))));

        var problem = await AssertRefusalAsync(response, HttpStatusCode.Unauthorized, "invalid_token");
        Assert.Equal(
            $"Bearer error=\"invalid_token\", error_description=\"The token expired at {expiredAt:yyyy-MM-dd'T'HH:mm:ss'Z'}; get a new one.\"",
            WwwAuthenticate.From(response).Raw);
        Assert.Equal("expired", problem.StringOf("reason"));
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
        await using var api = await ApiFactory.StartWithUnreachableIssuerAsync();

        using var response = await api.GetWithAuthorizationAsync(PrivateRoute, AuthorizationHeader.Bearer(api.Tokens.Create()));

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
        Assert.Equal(WwwAuthenticate.NoCredentials, WwwAuthenticate.RawOf(response));
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
}
