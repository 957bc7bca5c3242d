using Api.Tests.TestKit;
using Microsoft.Extensions.Options;

namespace Api.Tests.Auth;

/// <summary>
/// Bad <c>Auth0</c> settings (README, "Configuration") stop start-up with a message naming the
/// key (and, for the domain and audience, the environment variables that set it) and a non-zero
/// exit code.
/// </summary>
public sealed class StartupRefusalTests(ApiFixture fixture)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, string, string[]> RefusedSettings => new()
    {
        { "missing Domain", "Auth0:Domain", "", ["Auth0:Domain is missing", "Auth0__Domain", "AUTH0_DOMAIN"] },
        { "missing Audience", "Auth0:Audience", "", ["Auth0:Audience is missing", "Auth0__Audience", "AUTH0_AUDIENCE"] },
        { "http for a non-loopback host", "Auth0:Domain", "http://example.com", ["Auth0:Domain 'http://example.com'", "not loopback", "Auth0__Domain", "AUTH0_DOMAIN"] },
        { "unknown algorithm", "Auth0:Algorithms:0", "XX256", ["Auth0:Algorithms", "'XX256'"] },
        { "HMAC algorithm", "Auth0:Algorithms:0", "HS256", ["Auth0:Algorithms", "'HS256'", "never allowed"] },
        { "negative clock skew", "Auth0:ClockSkew", "-00:00:01", ["Auth0:ClockSkew '-00:00:01'"] },
        { "clock skew over 5 minutes", "Auth0:ClockSkew", "00:06:00", ["Auth0:ClockSkew '00:06:00'", "00:05:00"] },
    };

    [Theory]
    [MemberData(nameof(RefusedSettings))]
    public void Invalid_Auth0_setting_stops_start_up_naming_the_key(string @case, string key, string value, string[] expected)
    {
        using var api = new ApiFactory(fixture.Issuer, new Dictionary<string, string?> { [key] = value });

        var refusal = Assert.Throws<OptionsValidationException>(api.StartServer);

        Assert.Equal(typeof(global::Api.Auth.Auth0Options), refusal.OptionsType);
        foreach (var fragment in expected)
        {
            Assert.True(refusal.Message.Contains(fragment, StringComparison.Ordinal), $"{@case}: '{fragment}' is not in: {refusal.Message}");
        }
    }

    [Fact]
    public async Task Production_without_Auth0_settings_exits_1_naming_the_missing_settings()
    {
        var (exitCode, output) = await RunApiProcessAsync([]);

        Assert.True(exitCode == 1, $"Exit code {exitCode}; output:\n{output}");
        Assert.Contains("Auth0:Domain is missing", output, StringComparison.Ordinal);
        Assert.Contains("Auth0__Domain", output, StringComparison.Ordinal);
        Assert.Contains("AUTH0_DOMAIN", output, StringComparison.Ordinal);
        Assert.Contains("Auth0:Audience is missing", output, StringComparison.Ordinal);
        Assert.Contains("AUTH0_AUDIENCE", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AUTH0_DOMAIN_and_AUTH0_AUDIENCE_configure_the_API_and_are_validated()
    {
        var (exitCode, output) = await RunApiProcessAsync(new Dictionary<string, string?>
        {
            ["AUTH0_DOMAIN"] = "http://example.com",
            ["AUTH0_AUDIENCE"] = "https://api.example.test",
        });

        Assert.True(exitCode == 1, $"Exit code {exitCode}; output:\n{output}");
        Assert.Contains("Auth0:Domain 'http://example.com' uses http:// for a host that is not loopback", output, StringComparison.Ordinal);
        Assert.DoesNotContain("is missing", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Auth0:DPoP:Mode", "sometimes")]
    [InlineData("Auth0:TokenCacheSize", "lots")]
    [InlineData("Auth0:ClockSkew", "soon")]
    public async Task A_value_the_setting_cannot_take_exits_1_naming_the_key_and_the_value(string key, string value)
    {
        var (exitCode, output) = await RunApiProcessAsync(new Dictionary<string, string?>
        {
            ["AUTH0_DOMAIN"] = "example.auth0.com",
            ["AUTH0_AUDIENCE"] = "https://api.example.test",
            [key.Replace(":", "__", StringComparison.Ordinal)] = value,
        });

        Assert.True(exitCode == 1, $"Exit code {exitCode}; output:\n{output}");
        Assert.Contains($"'{value}' at '{key}'", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// Runs the built API as a user would: Production, an empty working directory (so no
    /// appsettings.json), and no Auth0 variables but <paramref name="environment"/>. Killed if it
    /// has not exited within 15 s.
    /// </summary>
    private static async Task<(int ExitCode, string Output)> RunApiProcessAsync(Dictionary<string, string?> environment)
    {
        var workingDirectory = Directory.CreateTempSubdirectory("api-startup-");
        try
        {
            environment["ASPNETCORE_ENVIRONMENT"] = "Production";
            await using var api = ApiProcess.Start(environment, workingDirectory: workingDirectory.FullName);
            try
            {
                return (await api.WaitForExitAsync(TimeSpan.FromSeconds(15)), api.Output);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The API did not exit within 15 s; it was killed. Output:\n{api.Output}");
            }
        }
        finally
        {
            workingDirectory.Delete(recursive: true);
        }
    }
}
