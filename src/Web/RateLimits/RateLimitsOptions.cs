namespace Api.Web.RateLimits;

/// <summary>
/// The <c>RateLimits</c> section (README, "Callers and limits"). Each limit is off until it is
/// configured: with none, requests are not counted at all.
/// </summary>
internal sealed class RateLimitsOptions
{
    public const string Section = "RateLimits";

    /// <summary>For each client with a valid token, counted by its client id (<c>azp</c>, else <c>client_id</c>).</summary>
    public RateLimitRule? Default { get; set; }

    /// <summary>
    /// Overrides <see cref="Default"/> for one client id, compared exactly; a missing
    /// <see cref="RateLimitRule.Window"/> is <see cref="Default"/>'s.
    /// </summary>
    public IDictionary<string, RateLimitRule> Clients { get; set; } = new Dictionary<string, RateLimitRule>(StringComparer.Ordinal);

    /// <summary>For requests without a valid token (none, or refused), counted per remote address.</summary>
    public RateLimitRule? Anonymous { get; set; }
}

/// <summary><see cref="Limit"/> requests per <see cref="Window"/>.</summary>
internal sealed class RateLimitRule
{
    public int? Limit { get; set; }

    /// <summary>Whole seconds: the draft's <c>w</c> and HTTP's <c>Retry-After</c> count in seconds.</summary>
    public TimeSpan? Window { get; set; }
}
