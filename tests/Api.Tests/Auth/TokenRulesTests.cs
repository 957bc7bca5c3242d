using System.Net;
using Api.Tests.TestKit;

namespace Api.Tests.Auth;

/// <summary>
/// The token rules from the accepting side: what a valid token may look like, and the 30 s clock
/// skew (README, "Configuration", <c>ClockSkew</c>) on both ends of its lifetime.
/// </summary>
public sealed class TokenRulesTests(ApiFixture fixture)
{
    private static readonly TimeSpan DefaultClockSkew = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(-10, HttpStatusCode.OK)]
    [InlineData(-25, HttpStatusCode.OK)]
    [InlineData(-40, HttpStatusCode.Unauthorized)]
    public async Task A_token_is_accepted_until_30_seconds_of_clock_skew_past_its_expiry(int expiredSecondsAgo, HttpStatusCode expected)
    {
        // Refused once exp + skew has passed, on the system clock the check reads.
        var status = await RealClock.AnswerAsPosedAsync(
            turnsAt: now => now.AddSeconds(expiredSecondsAgo) + DefaultClockSkew,
            ask: now => StatusForAsync(fixture.Tokens.Create(t => t.ExpiresAt(now.AddSeconds(expiredSecondsAgo)))));

        Assert.Equal(expected, status);
    }

    [Theory]
    [InlineData(10, HttpStatusCode.OK)]
    [InlineData(25, HttpStatusCode.OK)]
    [InlineData(40, HttpStatusCode.Unauthorized)]
    public async Task A_token_is_accepted_from_30_seconds_of_clock_skew_before_its_not_before(int validInSeconds, HttpStatusCode expected)
    {
        // Accepted once nbf - skew has come, on the system clock the check reads.
        var status = await RealClock.AnswerAsPosedAsync(
            turnsAt: now => now.AddSeconds(validInSeconds) - DefaultClockSkew,
            ask: now => StatusForAsync(fixture.Tokens.Create(t => t.NotBefore(now.AddSeconds(validInSeconds)))));

        Assert.Equal(expected, status);
    }

    [Fact]
    public async Task Token_whose_audience_array_contains_the_API_is_accepted()
    {
        // Auth0 user tokens carry the API and the userinfo endpoint in aud.
        var token = fixture.Tokens.Create(t => t.Claim("aud", new[] { ApiFactory.Audience, $"{fixture.Issuer.Issuer}userinfo" }));

        Assert.Equal(HttpStatusCode.OK, await StatusForAsync(token));
    }

    [Fact]
    public async Task Token_typed_at_jwt_is_accepted()
    {
        // RFC 9068 access tokens say typ "at+jwt"; Auth0 says "JWT". Both are access tokens.
        var token = fixture.Tokens.Create(t => t.HeaderClaim("typ", "at+jwt"));

        Assert.Equal(HttpStatusCode.OK, await StatusForAsync(token));
    }

    [Theory]
    [InlineData("bearer")]
    [InlineData("BEARER")]
    public async Task The_Bearer_scheme_is_accepted_in_any_letter_case(string scheme)
    {
        // RFC 9110 §11.1: authentication scheme names are case-insensitive.
        using var response = await fixture.Api.GetWithAuthorizationAsync("/api/private", $"{scheme} {fixture.Tokens.Create()}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<HttpStatusCode> StatusForAsync(string token)
    {
        using var client = fixture.Api.CreateClient(token);
        using var response = await client.GetAsync("/api/private", Cancel);
        return response.StatusCode;
    }
}
