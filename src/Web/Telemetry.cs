using Api.Auth;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Api.Web;

/// <summary>
/// Exports the auth meters over OTLP when the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> variable
/// is set (the exporter reads it and its companions itself). Without it nothing is exported and
/// the meters stay visible to <c>dotnet-counters</c>.
/// </summary>
public static class Telemetry
{
    private static readonly string[] Meters =
    [
        AuthMetrics.MeterName,
        "Microsoft.AspNetCore.Authentication",
        "Microsoft.AspNetCore.Authorization",
        "Microsoft.AspNetCore.Hosting",
    ];

    public static WebApplicationBuilder AddApiTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddMetrics();
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry()
                .ConfigureResource(resource => resource.AddService(builder.Environment.ApplicationName))
                .WithMetrics(metrics => metrics.AddMeter(Meters).AddOtlpExporter());
        }

        return builder;
    }
}
