using Api.Auth;
using Api.Web.RateLimits;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Api.Web;

/// <summary>
/// Exports the auth and rate limit meters over OTLP when <see cref="TelemetryOptions"/> names a collector.
/// Without one nothing is exported and the meters stay visible to <c>dotnet-counters</c>.
/// </summary>
internal static class Telemetry
{
    private static readonly string[] Meters =
    [
        AuthMetrics.MeterName,
        RateLimitMetrics.MeterName,
        "Microsoft.AspNetCore.Authentication",
        "Microsoft.AspNetCore.Authorization",
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.RateLimiting",
    ];

    public static WebApplicationBuilder AddApiTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddMetrics();
        builder.Services.AddOptions<TelemetryOptions>().Configure<IConfiguration>((options, configuration) => configuration.Bind(options)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TelemetryOptions>, TelemetryOptionsValidator>();

        // Decided while services are registered, so read from the builder's configuration: the
        // same binding the options above validate at start-up.
        if (builder.Configuration.Get<TelemetryOptions>()?.ExportsOtlp is true)
        {
            builder.Services.AddOpenTelemetry()
                .ConfigureResource(resource => resource.AddService(builder.Environment.ApplicationName))
                .WithMetrics(metrics => metrics.AddMeter(Meters).AddOtlpExporter());
        }

        return builder;
    }
}
