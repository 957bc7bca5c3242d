using Microsoft.Extensions.Options;

namespace Api.Web.RateLimits;

/// <summary>
/// Refuses at start-up, naming the key, a limit that cannot be enforced as written: a missing or
/// non-positive <c>Limit</c>, a <c>Window</c> that is missing (with no default to inherit), under a
/// second or not whole seconds, and a client id that cannot be a policy name in the
/// <c>RateLimit-Policy</c> header.
/// </summary>
internal sealed class RateLimitsOptionsValidator : IValidateOptions<RateLimitsOptions>
{
    public ValidateOptionsResult Validate(string? name, RateLimitsOptions options)
    {
        var failures = new List<string>();
        Check(failures, $"{RateLimitsOptions.Section}:Default", options.Default, inheritedWindow: null);
        Check(failures, $"{RateLimitsOptions.Section}:Anonymous", options.Anonymous, inheritedWindow: null);
        foreach (var (clientId, rule) in options.Clients)
        {
            var key = $"{RateLimitsOptions.Section}:Clients:{clientId}";
            if (!RateLimitPolicy.IsValidName(clientId))
            {
                failures.Add($"{key}: a client id here must be printable ASCII without quotes or backslashes.");
            }

            Check(failures, key, rule, options.Default?.Window);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(List<string> failures, string key, RateLimitRule? rule, TimeSpan? inheritedWindow)
    {
        if (rule is null)
        {
            return;
        }

        if (rule.Limit is not > 0)
        {
            failures.Add(rule.Limit is null
                ? $"{key}:Limit is missing: give the number of requests allowed per window."
                : $"{key}:Limit is {rule.Limit}: give at least 1 request per window.");
        }

        if (rule.Window is { } window)
        {
            if (window < TimeSpan.FromSeconds(1) || window.Ticks % TimeSpan.TicksPerSecond != 0)
            {
                failures.Add($"{key}:Window '{window}' must be whole seconds, at least 00:00:01: RateLimit-Policy and Retry-After count in seconds.");
            }
        }
        else if (inheritedWindow is null)
        {
            failures.Add($"{key}:Window is missing: give a TimeSpan of whole seconds, e.g. 00:01:00.");
        }
    }
}
