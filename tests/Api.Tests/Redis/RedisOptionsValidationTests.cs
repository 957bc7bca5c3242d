using Api.Redis;
using Api.Tests.TestKit;
using Microsoft.Extensions.Options;

namespace Api.Tests.Redis;

/// <summary>
/// <c>ConnectionStrings:Redis</c> (README, "Running several instances"): a string that could never
/// connect stops start-up naming the key and its environment variable, without echoing the value.
/// </summary>
public sealed class RedisOptionsValidationTests(ApiFixture fixture)
{
    [Theory]
    [InlineData("127.0.0.1:6379")]
    [InlineData("redis.internal:6380,password=secret,ssl=true,asyncTimeout=500")]
    [InlineData("")]
    [InlineData(null)]
    public void A_host_and_port_with_options_or_nothing_at_all_is_valid(string? connectionString) =>
        Assert.True(Validate(connectionString).Succeeded);

    [Theory]
    [InlineData("redis.internal:notaport,password=hunter2", "names no server")]
    [InlineData("redis://:hunter2@redis.internal:6379", "is a URL")]
    [InlineData("redis.internal,password=hunter2,ssl=maybe", "'ssl'")]
    [InlineData("redis.internal,password=hunter2,colour=blue", "'colour'")]
    public void A_string_that_cannot_connect_is_refused_naming_the_key_and_never_the_password(string connectionString, string expected)
    {
        var result = Validate(connectionString);

        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures);
        Assert.Contains("ConnectionStrings:Redis (environment variable ConnectionStrings__Redis)", failure, StringComparison.Ordinal);
        Assert.Contains(expected, failure, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalid_connection_string_stops_start_up()
    {
        using var api = new ApiFactory(fixture.Issuer, new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = "redis://redis.internal" });

        var refusal = Assert.Throws<OptionsValidationException>(api.StartServer);

        Assert.Equal(typeof(RedisOptions), refusal.OptionsType);
        Assert.Contains("ConnectionStrings:Redis", refusal.Message, StringComparison.Ordinal);
    }

    private static ValidateOptionsResult Validate(string? connectionString) =>
        new RedisOptionsValidator().Validate(null, new RedisOptions { ConnectionString = connectionString });
}
