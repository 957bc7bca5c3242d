using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Api.Web.Swagger;

/// <summary>Refuses at start-up a <c>Swagger:ClientId</c> that could break out of the page it is written into.</summary>
internal sealed partial class SwaggerOptionsValidator : IValidateOptions<SwaggerOptions>
{
    public ValidateOptionsResult Validate(string? name, SwaggerOptions options) =>
        string.IsNullOrEmpty(options.ClientId) || SafeClientId().IsMatch(options.ClientId)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{SwaggerOptions.Section}:{nameof(SwaggerOptions.ClientId)} (environment variable {SwaggerOptions.Section}__{nameof(SwaggerOptions.ClientId)}) must be a client id: letters, digits and . _ ~ - only.");

    /// <summary>
    /// NSwag writes the client id into a JavaScript string literal unescaped, so only the characters
    /// Auth0 client ids are made of are accepted.
    /// </summary>
    [GeneratedRegex("^[A-Za-z0-9._~-]+$")]
    private static partial Regex SafeClientId();
}
