using Api.Tests.TestKit;
using Api.Web.RateLimits;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Api.Tests.Web.RateLimits;

/// <summary>
/// The <c>RateLimits</c> settings (README, "Callers and limits"): a limit that cannot be enforced
/// as written stops start-up with a message naming the key.
/// </summary>
public sealed class RateLimitsOptionsValidationTests(ApiFixture fixture)
{
    public static TheoryData<string, Dictionary<string, string?>, string[]> RefusedSettings => new()
    {
        { "a default without a limit", new() { ["RateLimits:Default:Window"] = "00:01:00" }, ["RateLimits:Default:Limit is missing"] },
        { "a limit of 0", new() { ["RateLimits:Default:Limit"] = "0", ["RateLimits:Default:Window"] = "00:01:00" }, ["RateLimits:Default:Limit is 0"] },
        { "anonymous without a window", new() { ["RateLimits:Anonymous:Limit"] = "10" }, ["RateLimits:Anonymous:Window is missing"] },
        { "a window under a second", new() { ["RateLimits:Anonymous:Limit"] = "10", ["RateLimits:Anonymous:Window"] = "00:00:00.5" }, ["RateLimits:Anonymous:Window '00:00:00.5000000'", "whole seconds"] },
        { "a window of a second and a half", new() { ["RateLimits:Default:Limit"] = "10", ["RateLimits:Default:Window"] = "00:00:01.5" }, ["RateLimits:Default:Window '00:00:01.5000000'", "whole seconds"] },
        { "an override without a limit", new() { ["RateLimits:Default:Limit"] = "10", ["RateLimits:Default:Window"] = "00:01:00", ["RateLimits:Clients:partner:Window"] = "00:00:10" }, ["RateLimits:Clients:partner:Limit is missing"] },
        { "an override without a window and no default", new() { ["RateLimits:Clients:partner:Limit"] = "5" }, ["RateLimits:Clients:partner:Window is missing"] },
        { "a client id that cannot name a policy", new() { ["RateLimits:Clients:a\"b:Limit"] = "5", ["RateLimits:Clients:a\"b:Window"] = "00:01:00" }, ["RateLimits:Clients:a\"b", "printable ASCII"] },
    };

    [Theory]
    [MemberData(nameof(RefusedSettings), DisableDiscoveryEnumeration = true)]
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

    [Fact]
    public void No_section_and_an_override_taking_the_defaults_window_are_valid()
    {
        Assert.True(Validate([]).Succeeded);
        Assert.True(Validate(new()
        {
            ["RateLimits:Default:Limit"] = "100",
            ["RateLimits:Default:Window"] = "00:01:00",
            ["RateLimits:Clients:partner:Limit"] = "10",
        }).Succeeded);
    }

    [Fact]
    public void An_invalid_limit_stops_start_up()
    {
        using var api = new ApiFactory(fixture.Issuer, new Dictionary<string, string?> { ["RateLimits:Default:Limit"] = "100" });

        var refusal = Assert.Throws<OptionsValidationException>(api.StartServer);

        Assert.Equal(typeof(RateLimitsOptions), refusal.OptionsType);
        Assert.Contains("RateLimits:Default:Window is missing", refusal.Message, StringComparison.Ordinal);
    }

    private static ValidateOptionsResult Validate(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var options = new RateLimitsOptions();
        configuration.GetSection(RateLimitsOptions.Section).Bind(options);
        return new RateLimitsOptionsValidator().Validate(null, options);
    }
}
