using Api.Auth;
using Api.Auth.DPoP;
using Api.Tests.TestKit;

namespace Api.Tests.Auth.DPoP;

/// <summary>The <c>WWW-Authenticate: DPoP ...</c> challenge of RFC 9449 §7.1.</summary>
public sealed class DPoPChallengeTests
{
    private static readonly string[] Algorithms = ["ES256", "ES384", "PS256", "RS256"];

    [Fact]
    public void Without_an_error_the_challenge_only_lists_the_accepted_proof_algorithms()
    {
        var challenge = WwwAuthenticate.Parse(DPoPChallenge.Build(Algorithms));

        Assert.Equal("DPoP algs=\"ES256 ES384 PS256 RS256\"", challenge.Raw);
        Assert.Equal("DPoP", challenge.Scheme);
        Assert.Null(challenge.Error);
    }

    [Fact]
    public void A_refusal_names_its_error_and_description_before_the_algorithms_as_in_RFC_9449_section_7_1()
    {
        var raw = DPoPChallenge.Build(["ES256"], "invalid_token", "Invalid DPoP key binding");

        Assert.Equal("DPoP error=\"invalid_token\", error_description=\"Invalid DPoP key binding\", algs=\"ES256\"", raw);
    }

    [Fact]
    public void A_403_carries_the_scope_it_needs()
    {
        var refusal = TokenRefusal.InsufficientPermission(null) with { RequiredScope = "read:messages" };

        var challenge = WwwAuthenticate.Parse(DPoPChallenge.For(refusal, Algorithms));

        Assert.Equal("insufficient_scope", challenge.Error);
        Assert.Equal("read:messages", challenge.Scope);
        Assert.Equal("ES256 ES384 PS256 RS256", challenge.Parameters["algs"]);
    }

    [Fact]
    public void A_refusal_without_an_error_code_is_a_plain_challenge()
    {
        var challenge = WwwAuthenticate.Parse(DPoPChallenge.For(TokenRefusal.MissingToken, Algorithms));

        Assert.Null(challenge.Error);
        Assert.False(challenge.Parameters.ContainsKey("error_description"));
    }

    [Fact]
    public void A_description_cannot_end_its_quoted_string_or_the_header()
    {
        var raw = DPoPChallenge.Build(["ES256"], "invalid_dpop_proof", "a \"quoted\" \\ value\r\nX-Injected: yes");

        var challenge = WwwAuthenticate.Parse(raw);
        Assert.Equal("a 'quoted' ' value''X-Injected: yes", challenge.ErrorDescription);
        Assert.DoesNotContain('\n', raw);
        Assert.Equal("ES256", challenge.Parameters["algs"]);
    }
}
