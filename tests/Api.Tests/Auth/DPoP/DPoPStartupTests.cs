using Api.Auth.DPoP;
using Api.Tests.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Api.Tests.Auth.DPoP;

/// <summary>The <c>Auth0:DPoP</c> section as a started API binds and validates it.</summary>
public sealed class DPoPStartupTests(ApiFixture fixture)
{
    [Fact]
    public void With_nothing_configured_DPoP_is_allowed_with_the_documented_defaults()
    {
        var options = fixture.Api.Services.GetRequiredService<IOptions<DPoPOptions>>().Value;

        Assert.Equal(DPoPMode.Allowed, options.Mode);
        Assert.Equal(["ES256", "ES384", "PS256", "RS256"], options.Algorithms);
        Assert.Equal(TimeSpan.FromMinutes(5), options.ProofMaxAge);
        Assert.Equal(TimeSpan.FromSeconds(30), options.ProofLeeway);
        Assert.False(options.RequireNonce);
        Assert.Equal(TimeSpan.FromMinutes(5), options.NonceLifetime);
    }

    [Fact]
    public async Task Configured_values_replace_the_defaults_rather_than_adding_to_them()
    {
        await using var api = await fixture.StartApiAsync(new Dictionary<string, string?>
        {
            ["Auth0:DPoP:Mode"] = "Required",
            ["Auth0:DPoP:Algorithms:0"] = "ES256",
        });

        var options = api.Services.GetRequiredService<IOptions<DPoPOptions>>().Value;

        Assert.Equal(DPoPMode.Required, options.Mode);
        Assert.Equal(["ES256"], options.Algorithms);
    }

    [Theory]
    [InlineData("Auth0:DPoP:Algorithms:0", "HS256", "Auth0:DPoP:Algorithms contains 'HS256', which is never allowed")]
    [InlineData("Auth0:DPoP:ProofMaxAge", "-00:05:00", "Auth0:DPoP:ProofMaxAge '-00:05:00' must be a positive duration")]
    [InlineData("Auth0:DPoP:RequireNonce", "true", "Auth0:DPoP:NonceKey is missing")]
    public void An_invalid_DPoP_setting_stops_start_up_naming_the_key(string key, string value, string message)
    {
        using var api = new ApiFactory(fixture.Issuer, new Dictionary<string, string?> { [key] = value });

        var refusal = Assert.Throws<OptionsValidationException>(api.StartServer);

        Assert.Equal(typeof(DPoPOptions), refusal.OptionsType);
        Assert.Contains(message, refusal.Message, StringComparison.Ordinal);
    }
}
