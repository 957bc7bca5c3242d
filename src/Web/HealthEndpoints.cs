using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Api.Web;

/// <summary>
/// <c>/health/live</c>: the process answers. <c>/health/ready</c>: every check tagged "ready"
/// passes (the signing keys are held), so a load balancer sends no traffic that would only get
/// 503; Degraded (some issuers without keys) still answers 200, since the others are served.
/// </summary>
internal static class HealthEndpoints
{
    public const string PathBase = "/health";

    public static WebApplication MapHealthEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(PathBase + "/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync })
            .AllowAnonymous();
        app.MapHealthChecks(PathBase + "/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteAsync })
            .AllowAnonymous();
        return app;
    }

    /// <summary>
    /// 200 with the overall status (Healthy or Degraded) and each check's data (one entry per
    /// issuer, say); 503 with the same in an RFC 9457 problem body.
    /// </summary>
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var data = report.Entries.SelectMany(e => e.Value.Data).ToDictionary(d => d.Key, d => (object?)d.Value);
        var failing = report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy)
            .ToDictionary(e => e.Key, e => e.Value.Description);
        if (report.Status != HealthStatus.Unhealthy)
        {
            var body = new Dictionary<string, object?> { ["status"] = report.Status.ToString() };
            foreach (var (key, value) in data)
            {
                body[key] = value;
            }

            if (failing.Count > 0)
            {
                body["checks"] = failing;
            }

            return context.Response.WriteAsJsonAsync(body);
        }

        // Not "status": RFC 9457 reserves it for the HTTP status code.
        var extensions = new Dictionary<string, object?> { ["health"] = report.Status.ToString(), ["checks"] = failing };
        foreach (var (key, value) in data)
        {
            extensions[key] = value;
        }

        return TypedResults.Problem(
            title: "Not ready",
            detail: string.Join(" ", failing.Values),
            statusCode: context.Response.StatusCode,
            extensions: extensions)
            .ExecuteAsync(context);
    }
}
