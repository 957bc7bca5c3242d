using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Api.Redis;

/// <summary>
/// Refuses at start-up a Redis connection string that could never connect. StackExchange.Redis
/// reads <c>host:notaport</c> as no server at all and a URL (<c>redis://host</c>) as a host named
/// <c>redis://host</c>, and would then fail on every request, quietly (rate limits fail open). The
/// value itself is never echoed: it may hold a password.
/// </summary>
internal sealed class RedisOptionsValidator : IValidateOptions<RedisOptions>
{
    private const string Example = "e.g. redis.internal:6379 or redis.internal:6380,password=...,ssl=true";

    public ValidateOptionsResult Validate(string? name, RedisOptions options)
    {
        if (!options.IsConfigured)
        {
            return ValidateOptionsResult.Success;
        }

        ConfigurationOptions parsed;
        try
        {
            parsed = ConfigurationOptions.Parse(options.ConnectionString!);
        }
        catch (ArgumentException e)
        {
            // Its messages name the keyword and, for a keyword whose value is not a password, the value.
            return Fail($"is not a StackExchange.Redis connection string ({e.Message})");
        }

        if (parsed.EndPoints.Count == 0)
        {
            return Fail("names no server as host:port");
        }

        return parsed.EndPoints.Any(e => e.ToString()?.Contains("://", StringComparison.Ordinal) is true)
            ? Fail("is a URL; StackExchange.Redis takes host:port followed by options, not redis://")
            : ValidateOptionsResult.Success;
    }

    private static ValidateOptionsResult Fail(string problem) =>
        ValidateOptionsResult.Fail($"{RedisOptions.Key} (environment variable {RedisOptions.EnvironmentVariable}) {problem}: {Example}.");
}
