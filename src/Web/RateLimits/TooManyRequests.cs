using System.Globalization;
using Microsoft.AspNetCore.RateLimiting;

namespace Api.Web.RateLimits;

/// <summary>
/// The 429 answer (RFC 6585 §4): <c>Retry-After</c> in whole seconds (RFC 9110 §10.2.3), the IETF
/// httpapi-ratelimit-headers draft's <c>RateLimit-Policy</c> and <c>RateLimit</c> fields, and a
/// problem+json body (RFC 9457) with the reason code <c>rate_limited</c>, the client and its limit.
/// </summary>
internal static class TooManyRequests
{
    public const string Reason = "rate_limited";

    // The draft's field names, which CORS exposes to browser frontends too.
    public const string RateLimitPolicyHeader = "RateLimit-Policy";
    public const string RateLimitHeader = "RateLimit";

    public static ValueTask WriteAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var lease = (CallerLease)rejected.Lease; // CallerRateLimiter is the only limiter
        var partition = lease.Partition!.Value;
        var policy = partition.Policy;

        // Never 0, which would invite an immediate retry: the window may end within the second.
        var seconds = Math.Max(1, (long)Math.Ceiling(lease.ResetAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        var headers = context.Response.Headers;
        headers.RetryAfter = seconds;
        headers[RateLimitPolicyHeader] = policy.PolicyField;
        headers[RateLimitHeader] = $"\"{policy.Name}\";r=0;t={seconds}";

        var extensions = new Dictionary<string, object?>
        {
            ["reason"] = Reason,
            ["policy"] = policy.Name,
            ["limit"] = policy.Limit,
            ["window"] = policy.WindowSeconds,
        };
        string detail;
        if (partition.ClientId is { } clientId)
        {
            extensions["client"] = clientId;
            detail = $"The client '{clientId}' may send {policy.Limit} requests per {policy.WindowSeconds} s; try again in {seconds} s.";
        }
        else
        {
            detail = $"Requests without a valid token may come {policy.Limit} per {policy.WindowSeconds} s from one address; try again in {seconds} s.";
        }

        return new ValueTask(TypedResults.Problem(
            detail: detail,
            statusCode: StatusCodes.Status429TooManyRequests,
            title: "Too Many Requests",
            type: "https://www.rfc-editor.org/rfc/rfc6585#section-4",
            extensions: extensions).ExecuteAsync(context));
    }
}
