using Microsoft.Extensions.Options;

namespace Api.Web;

/// <summary>A mistyped collector address would otherwise drop every metric without a word.</summary>
internal sealed class TelemetryOptionsValidator : IValidateOptions<TelemetryOptions>
{
    public ValidateOptionsResult Validate(string? name, TelemetryOptions options) =>
        !options.ExportsOtlp
        || (Uri.TryCreate(options.OtlpEndpoint, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"OTEL_EXPORTER_OTLP_ENDPOINT '{options.OtlpEndpoint}' is not an http(s) URL of an OTLP collector (e.g. http://localhost:4317).");
}
