using Api.Auth.DPoP;
using Microsoft.Extensions.Configuration;

namespace Api.Tests.Auth.DPoP;

/// <summary>The <c>Auth0:DPoP</c> rules, checked on the options as configuration binds them.</summary>
public sealed class DPoPOptionsValidatorTests
{
    private static readonly string ValidKey = Convert.ToBase64String(new byte[32]);

    public static TheoryData<string, string, string, string> RefusedSettings => new()
    {
        { "HMAC algorithm", "Algorithms:0", "HS256", "Auth0:DPoP:Algorithms contains 'HS256', which is never allowed" },
        { "alg none", "Algorithms:0", "none", "Auth0:DPoP:Algorithms contains 'none', which is never allowed" },
        { "unknown algorithm", "Algorithms:0", "EdDSA", "Auth0:DPoP:Algorithms contains the unknown algorithm 'EdDSA'" },
        { "zero max age", "ProofMaxAge", "00:00:00", "Auth0:DPoP:ProofMaxAge '00:00:00' must be a positive duration" },
        { "negative leeway", "ProofLeeway", "-00:00:01", "Auth0:DPoP:ProofLeeway '-00:00:01' must not be negative" },
        { "zero nonce lifetime", "NonceLifetime", "00:00:00", "Auth0:DPoP:NonceLifetime '00:00:00' must be a positive duration" },
        { "no replay cache", "ReplayCacheSize", "0", "Auth0:DPoP:ReplayCacheSize '0' must be a positive number" },
        { "nonces without a key", "RequireNonce", "true", "Auth0:DPoP:RequireNonce is on but Auth0:DPoP:NonceKey is missing" },
        { "a key that is not base64", "NonceKey", "not base64!", "Auth0:DPoP:NonceKey is not base64 of at least 32 bytes" },
        { "a key of 16 bytes", "NonceKey", Convert.ToBase64String(new byte[16]), "Auth0:DPoP:NonceKey is not base64 of at least 32 bytes" },
        { "an undefined mode", "Mode", "7", "Auth0:DPoP:Mode '7' is not one of Allowed, Required, Disabled" },
    };

    [Theory]
    [MemberData(nameof(RefusedSettings))]
    public void A_setting_that_weakens_or_breaks_proof_checks_is_refused_naming_the_key(string @case, string key, string value, string message)
    {
        var result = new DPoPOptionsValidator().Validate(null, Bind(new() { [key] = value }));

        Assert.True(result.Failed, @case);
        Assert.Contains(message, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void The_defaults_are_valid() => Assert.True(new DPoPOptionsValidator().Validate(null, Bind([])).Succeeded);

    [Fact]
    public void Every_asymmetric_JWS_algorithm_and_zero_leeway_and_required_nonces_with_a_key_are_valid()
    {
        var settings = new Dictionary<string, string?>
        {
            ["ProofLeeway"] = "00:00:00",
            ["RequireNonce"] = "true",
            ["NonceKey"] = ValidKey,
        };
        string[] algorithms = ["ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];
        for (var i = 0; i < algorithms.Length; i++)
        {
            settings[$"Algorithms:{i}"] = algorithms[i];
        }

        Assert.True(new DPoPOptionsValidator().Validate(null, Bind(settings)).Succeeded);
    }

    /// <summary>The options as the API binds them from its <c>Auth0:DPoP</c> section, defaults applied.</summary>
    private static DPoPOptions Bind(Dictionary<string, string?> section)
    {
        var options = new ConfigurationBuilder().AddInMemoryCollection(section).Build().Get<DPoPOptions>() ?? new DPoPOptions();
        options.ApplyListDefaults();
        return options;
    }
}
