using Microsoft.Extensions.Options;

namespace Api.Web;

/// <summary>
/// Refuses at start-up an allowed origin a browser would never send (RFC 6454 §6.2: scheme, host
/// and port only), which would otherwise fail silently as a CORS error in the frontend, and
/// <c>*</c>, which would let any site call the API with its users' tokens.
/// </summary>
internal sealed class ApiCorsOptionsValidator : IValidateOptions<ApiCorsOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiCorsOptions options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.AllowedOrigins.Count; i++)
        {
            var origin = options.AllowedOrigins[i];
            if (origin == "*")
            {
                failures.Add($"{ApiCorsOptions.Section}:AllowedOrigins:{i} is '*': name each frontend's origin instead; any site could otherwise call the API from its users' browsers.");
            }
            else if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
                || uri.GetLeftPart(UriPartial.Authority) != origin.TrimEnd('/'))
            {
                failures.Add($"{ApiCorsOptions.Section}:AllowedOrigins:{i} '{origin}' is not an origin: give scheme, host and port only, e.g. https://app.example.com.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
