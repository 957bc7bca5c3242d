using Microsoft.Extensions.Configuration;

namespace Api.Web;

/// <summary>
/// Where metrics are exported: OpenTelemetry's standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
/// variable (the exporter reads it and its companions itself); unset, nothing is exported.
/// </summary>
internal sealed class TelemetryOptions
{
    [ConfigurationKeyName("OTEL_EXPORTER_OTLP_ENDPOINT")]
    public string? OtlpEndpoint { get; set; }

    public bool ExportsOtlp => !string.IsNullOrWhiteSpace(OtlpEndpoint);
}
