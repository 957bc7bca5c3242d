using System.Globalization;

namespace Api.Web.RateLimits;

/// <summary>
/// One configured limit, as its callers see it in the IETF httpapi-ratelimit-headers draft's
/// fields: <c>RateLimit-Policy: "&lt;name&gt;";q=&lt;limit&gt;;w=&lt;window s&gt;</c>.
/// </summary>
internal sealed class RateLimitPolicy
{
    public const string DefaultName = "default";
    public const string AnonymousName = "anonymous";

    public RateLimitPolicy(string name, int limit, TimeSpan window)
    {
        Name = name;
        Limit = limit;
        Window = window;
        WindowSeconds = (long)window.TotalSeconds;
        PolicyField = string.Create(CultureInfo.InvariantCulture, $"\"{name}\";q={limit};w={WindowSeconds}");
    }

    /// <summary><c>default</c>, <c>anonymous</c>, or <c>client:&lt;client_id&gt;</c> for an override.</summary>
    public string Name { get; }

    public int Limit { get; }

    public TimeSpan Window { get; }

    public long WindowSeconds { get; }

    /// <summary>The <c>RateLimit-Policy</c> field value, written once rather than on every 429.</summary>
    public string PolicyField { get; }

    public static string ClientName(string clientId) => "client:" + clientId;

    /// <summary>
    /// A name is written as a structured-field String (RFC 8941 §3.3.3): printable ASCII, and no
    /// <c>"</c> or <c>\</c> here, so it needs no escaping.
    /// </summary>
    public static bool IsValidName(string name) =>
        name.Length > 0 && name.All(c => c is >= ' ' and <= '~' and not '"' and not '\\');
}
