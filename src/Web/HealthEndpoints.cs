using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Api.Web;

/// <summary>
/// <c>/health/live</c>: the process answers. <c>/health/ready</c>: every check tagged "ready"
/// passes (the signing keys are held), so a load balancer sends no traffic that would only get 503.
/// </summary>
internal static class HealthEndpoints
{
    public static WebApplication MapHealthEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync })
            .AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteAsync })
            .AllowAnonymous();
        return app;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        if (report.Status == HealthStatus.Healthy)
        {
            return context.Response.WriteAsJsonAsync(new { status = report.Status.ToString() });
        }

        var failing = report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy)
            .ToDictionary(e => e.Key, e => e.Value.Description);
        return TypedResults.Problem(
            title: "Not ready",
            detail: string.Join(" ", failing.Values),
            statusCode: context.Response.StatusCode,
            // Not "status": RFC 9457 reserves it for the HTTP status code.
            extensions: new Dictionary<string, object?> { ["health"] = report.Status.ToString(), ["checks"] = failing })
            .ExecuteAsync(context);
    }
}
