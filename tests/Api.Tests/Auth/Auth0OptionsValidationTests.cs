using Api.Auth;

namespace Api.Tests.Auth;

/// <summary>
/// The configuration rules (README, "Configuration"), checked on the options themselves: which
/// domains become which authority, which hosts may use plain http, and which values the
/// validator refuses.
/// <see cref="StartupRefusalTests"/> shows the same refusals stopping a real start-up.
/// </summary>
public sealed class Auth0OptionsValidationTests
{
    [Theory]
    [InlineData("dev-x.us.auth0.com", "https://dev-x.us.auth0.com/")]
    [InlineData("  dev-x.us.auth0.com  ", "https://dev-x.us.auth0.com/")]
    [InlineData("dev-x.us.auth0.com/", "https://dev-x.us.auth0.com/")]
    [InlineData("https://dev-x.us.auth0.com", "https://dev-x.us.auth0.com/")]
    [InlineData("https://login.example.com/tenant", "https://login.example.com/tenant/")]
    [InlineData("http://localhost:1234", "http://localhost:1234/")]
    [InlineData("http://127.0.0.2", "http://127.0.0.2/")]
    [InlineData("http://[::1]:5000", "http://[::1]:5000/")]
    public void Domain_becomes_an_authority_ending_with_a_slash(string domain, string authority) =>
        Assert.Equal(new Uri(authority), Auth0Domain.ToAuthority(domain));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("ftp://dev-x.us.auth0.com")]
    [InlineData("https://user:secret@dev-x.us.auth0.com")]
    [InlineData("https://dev-x.us.auth0.com/?tenant=x")]
    [InlineData("https://dev-x.us.auth0.com/#x")]
    [InlineData("dev x.us.auth0.com")]
    public void Domain_that_names_no_authority_gives_none(string? domain) =>
        Assert.Null(Auth0Domain.ToAuthority(domain));

    [Theory]
    [InlineData("http://localhost:1234/", true)]
    [InlineData("http://127.0.0.1/", true)]
    [InlineData("http://127.0.0.2/", true)]
    [InlineData("http://127.255.255.254/", true)]
    [InlineData("http://[::1]:5000/", true)]
    [InlineData("http://example.com/", false)]
    [InlineData("http://10.0.0.1/", false)]
    [InlineData("http://0.0.0.0/", false)]
    [InlineData("http://[::2]/", false)]
    [InlineData("http://localhost.example.com/", false)]
    [InlineData("http://127.0.0.1.nip.io/", false)]
    public void Only_loopback_hosts_count_as_loopback(string url, bool loopback) =>
        Assert.Equal(loopback, Auth0Domain.IsLoopback(new Uri(url)));

    [Theory]
    [InlineData("dev-x.us.auth0.com")]
    [InlineData("https://dev-x.us.auth0.com/")]
    [InlineData("http://localhost:1234")]
    [InlineData("http://127.0.0.2")]
    [InlineData("http://[::1]:5000")]
    public void Domain_over_https_or_loopback_http_is_accepted(string domain)
    {
        var result = Validate(o => o.Domain = domain);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData("RS256")]
    [InlineData("PS256")]
    [InlineData("ES256")]
    [InlineData("RS256", "RS512", "ES384")]
    public void Asymmetric_algorithms_are_accepted(params string[] algorithms)
    {
        var result = Validate(o => o.Algorithms = algorithms);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("00:00:30")]
    [InlineData("00:05:00")]
    public void Clock_skew_up_to_5_minutes_is_accepted(string skew)
    {
        var result = Validate(o => o.ClockSkew = TimeSpan.Parse(skew, System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    public static TheoryData<string, Action<Auth0Options>, string[]> RefusedOptions => new()
    {
        { "no domain", o => o.Domain = null, ["Auth0:Domain is missing", "Auth0__Domain", "AUTH0_DOMAIN"] },
        { "no audience", o => o.Audience = " ", ["Auth0:Audience is missing", "Auth0__Audience", "AUTH0_AUDIENCE"] },
        { "http for a non-loopback host", o => o.Domain = "http://example.com", ["Auth0:Domain 'http://example.com'", "https://", "AUTH0_DOMAIN"] },
        { "a domain that is no URL", o => o.Domain = "ftp://example.com", ["Auth0:Domain 'ftp://example.com'", "AUTH0_DOMAIN"] },
        { "an issuer that is no absolute URL", o => o.Issuer = "dev-x.us.auth0.com", ["Auth0:Issuer 'dev-x.us.auth0.com'", "Auth0__Issuer"] },
        { "an unknown algorithm", o => o.Algorithms = ["XX256"], ["Auth0:Algorithms", "unknown algorithm 'XX256'"] },
        { "alg none", o => o.Algorithms = ["RS256", "none"], ["Auth0:Algorithms", "'none'", "never allowed"] },
        { "HS256", o => o.Algorithms = ["HS256"], ["Auth0:Algorithms", "'HS256'", "never allowed"] },
        { "a negative clock skew", o => o.ClockSkew = TimeSpan.FromSeconds(-1), ["Auth0:ClockSkew '-00:00:01'"] },
        { "a clock skew over 5 minutes", o => o.ClockSkew = TimeSpan.FromMinutes(6), ["Auth0:ClockSkew '00:06:00'"] },
        { "an empty permission claim", o => o.PermissionClaims = ["permissions", ""], ["Auth0:PermissionClaims"] },
        { "no key refresh cooldown", o => o.KeyRefreshCooldown = TimeSpan.Zero, ["Auth0:KeyRefreshCooldown"] },
    };

    [Theory]
    [MemberData(nameof(RefusedOptions), DisableDiscoveryEnumeration = true)]
    public void Invalid_setting_is_refused_naming_the_key(string @case, Action<Auth0Options> change, string[] expected)
    {
        var result = Validate(change);

        Assert.True(result.Failed, @case);
        var failure = Assert.Single(result.Failures);
        foreach (var fragment in expected)
        {
            Assert.Contains(fragment, failure, StringComparison.Ordinal);
        }
    }

    /// <summary>Validates valid options (as after binding) changed by <paramref name="change"/>.</summary>
    private static Microsoft.Extensions.Options.ValidateOptionsResult Validate(Action<Auth0Options> change)
    {
        var options = new Auth0Options { Domain = "dev-x.us.auth0.com", Audience = "https://api.example.test" };
        options.ApplyListDefaults();
        change(options);
        return new Auth0OptionsValidator().Validate(null, options);
    }
}
