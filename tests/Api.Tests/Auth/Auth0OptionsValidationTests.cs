using Microsoft.Extensions.Configuration;
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
        var result = Validate(new() { ["Auth0:Domain"] = domain });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData("RS256")]
    [InlineData("PS256")]
    [InlineData("ES256")]
    [InlineData("RS256", "RS512", "ES384")]
    public void Asymmetric_algorithms_are_accepted(params string[] algorithms)
    {
        var result = Validate(algorithms.Select((a, i) => KeyValuePair.Create($"Auth0:Algorithms:{i}", (string?)a)).ToDictionary());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("00:00:30")]
    [InlineData("00:05:00")]
    public void Clock_skew_up_to_5_minutes_is_accepted(string skew)
    {
        var result = Validate(new() { ["Auth0:ClockSkew"] = skew });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    public static TheoryData<string, Dictionary<string, string?>, string[]> RefusedOptions => new()
    {
        { "no domain", new() { ["Auth0:Domain"] = "" }, ["Auth0:Domain is missing", "Auth0__Domain", "AUTH0_DOMAIN"] },
        { "no audience", new() { ["Auth0:Audience"] = " " }, ["Auth0:Audience is missing", "Auth0__Audience", "AUTH0_AUDIENCE"] },
        { "http for a non-loopback host", new() { ["Auth0:Domain"] = "http://example.com" }, ["Auth0:Domain 'http://example.com'", "https://", "AUTH0_DOMAIN"] },
        { "a domain that is no URL", new() { ["Auth0:Domain"] = "ftp://example.com" }, ["Auth0:Domain 'ftp://example.com'", "AUTH0_DOMAIN"] },
        { "an issuer that is no absolute URL", new() { ["Auth0:Issuer"] = "dev-x.us.auth0.com" }, ["Auth0:Issuer 'dev-x.us.auth0.com'", "Auth0__Issuer"] },
        { "an unknown algorithm", new() { ["Auth0:Algorithms:0"] = "XX256" }, ["Auth0:Algorithms", "unknown algorithm 'XX256'"] },
        { "alg none", new() { ["Auth0:Algorithms:0"] = "RS256", ["Auth0:Algorithms:1"] = "none" }, ["Auth0:Algorithms", "'none'", "never allowed"] },
        { "HS256", new() { ["Auth0:Algorithms:0"] = "HS256" }, ["Auth0:Algorithms", "'HS256'", "never allowed"] },
        { "a negative clock skew", new() { ["Auth0:ClockSkew"] = "-00:00:01" }, ["Auth0:ClockSkew '-00:00:01'"] },
        { "a clock skew over 5 minutes", new() { ["Auth0:ClockSkew"] = "00:06:00" }, ["Auth0:ClockSkew '00:06:00'"] },
        { "an empty permission claim", new() { ["Auth0:PermissionClaims:0"] = "permissions", ["Auth0:PermissionClaims:1"] = "" }, ["Auth0:PermissionClaims"] },
        { "no key refresh cooldown", new() { ["Auth0:KeyRefreshCooldown"] = "00:00:00" }, ["Auth0:KeyRefreshCooldown"] },
        { "Domain and Domains both", new() { ["Auth0:Domains:0"] = "login.example.com" }, ["Auth0:Domain and Auth0:Domains are both set"] },
        { "a bad entry of Domains", new() { ["Auth0:Domain"] = "", ["Auth0:Domains:0"] = "dev-x.us.auth0.com", ["Auth0:Domains:1"] = "http://login.example.com" }, ["Auth0:Domains:1 'http://login.example.com'", "https://"] },
        { "a bad entry of a comma-separated Domain", new() { ["Auth0:Domain"] = "dev-x.us.auth0.com, ftp://x.example" }, ["Auth0:Domain entry 1 'ftp://x.example'"] },
        { "one authority twice", new() { ["Auth0:Domain"] = "", ["Auth0:Domains:0"] = "dev-x.us.auth0.com", ["Auth0:Domains:1"] = "https://dev-x.us.auth0.com/" }, ["Auth0:Domains:1", "a second time", "Auth0:Domains:0"] },
        { "Issuer with several domains", new() { ["Auth0:Domain"] = "dev-x.us.auth0.com,login.example.com", ["Auth0:Issuer"] = "https://dev-x.us.auth0.com/" }, ["Auth0:Issuer is set with several domains"] },
    };

    [Theory]
    [InlineData("dev-x.us.auth0.com,login.example.com")]
    [InlineData(" dev-x.us.auth0.com , https://login.example.com/ ")]
    public void A_comma_separated_Domain_names_several_issuers(string domain)
    {
        var options = Bind(new() { ["Auth0:Domain"] = domain });

        Assert.True(new Auth0OptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal([new Uri("https://dev-x.us.auth0.com/"), new Uri("https://login.example.com/")], options.Authorities);
    }

    [Theory]
    [MemberData(nameof(RefusedOptions), DisableDiscoveryEnumeration = true)]
    public void Invalid_setting_is_refused_naming_the_key(string @case, Dictionary<string, string?> settings, string[] expected)
    {
        var result = Validate(settings);

        Assert.True(result.Failed, @case);
        var failure = Assert.Single(result.Failures);
        foreach (var fragment in expected)
        {
            Assert.Contains(fragment, failure, StringComparison.Ordinal);
        }
    }

    /// <summary>Binds valid settings with <paramref name="settings"/> on top, as configuration would, and validates them.</summary>
    private static Microsoft.Extensions.Options.ValidateOptionsResult Validate(Dictionary<string, string?> settings) =>
        new Auth0OptionsValidator().Validate(null, Bind(settings));

    private static Auth0Options Bind(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Auth0:Domain"] = "dev-x.us.auth0.com", ["Auth0:Audience"] = "https://api.example.test" })
            .AddInMemoryCollection(settings)
            .Build();
        var options = new Auth0Options();
        ConfigurationBinder.Bind(configuration.GetSection(Auth0Options.Section), options);
        options.ApplyListDefaults();
        return options;
    }
}
