using Api.Auth;
using Api.Auth.DPoP;
using FastEndpoints;
using FastEndpoints.Swagger;
using Microsoft.Extensions.Options;
using NJsonSchema;
using NSwag;
using NSwag.Generation.Processors;
using NSwag.Generation.AspNetCore;
using NSwag.Generation.Processors.Contexts;

namespace Api.Web.Swagger;

/// <summary>
/// Writes each endpoint's security rule, as FastEndpoints recorded it, into its operation: which
/// schemes it accepts, which permissions it needs (for people in the summary line Swagger UI shows
/// on load, for tools in <c>x-required-permissions</c>), and the 401/403 answers the auth module
/// gives.
/// </summary>
internal sealed class EndpointSecurity(IServiceProvider services) : IOperationProcessor
{
    public const string PermissionsExtension = "x-required-permissions";
    public const string ProblemJson = "application/problem+json";

    public bool Process(OperationProcessorContext context)
    {
        var definition = context.GetEndpointDefinition();
        if (definition is null || IsAnonymous(definition, context.OperationDescription.Method))
        {
            return true;
        }

        var operation = context.OperationDescription.Operation;

        // Any scheme will do (OpenAPI: the entries of `security` are alternatives), but an endpoint
        // that requires DPoP (or the API, in Required mode) takes DPoP alone.
        var dpop = services.GetRequiredService<IOptions<DPoPOptions>>().Value.Mode;
        operation.Security = dpop == DPoPMode.Required || RequiresDPoP(context)
            ? [new OpenApiSecurityRequirement { [SecuritySchemes.DPoP] = [] }]
            : dpop == DPoPMode.Disabled
                ? [new OpenApiSecurityRequirement { [SecuritySchemes.Bearer] = [] }, new OpenApiSecurityRequirement { [SecuritySchemes.OAuth2] = [] }]
                : [
                    new OpenApiSecurityRequirement { [SecuritySchemes.Bearer] = [] },
                    new OpenApiSecurityRequirement { [SecuritySchemes.OAuth2] = [] },
                    new OpenApiSecurityRequirement { [SecuritySchemes.DPoP] = [] },
                ];

        // Resolved here, when the document is first generated: configuration is final by then.
        var auth0 = services.GetRequiredService<IOptions<Auth0Options>>().Value;
        operation.Responses["401"] = Problem(
            RefusalProblems.Unauthorized(context.Document, auth0),
            "No valid access token: missing, malformed, expired, or not issued for this API. WWW-Authenticate says why (RFC 6750 §3).");

        if (PermissionRule.Of(definition) is { } rule)
        {
            // Swagger UI shows the summary beside the path without opening the operation.
            operation.Summary = string.IsNullOrEmpty(operation.Summary) ? rule.Description : $"{operation.Summary}. {rule.Description}";
            operation.ExtensionData ??= new Dictionary<string, object?>();
            operation.ExtensionData[PermissionsExtension] = new Dictionary<string, object>
            {
                ["mode"] = rule.Mode == PermissionMode.All ? "all" : "any",
                ["permissions"] = rule.Permissions.ToArray(),
            };
            operation.Responses["403"] = Problem(
                RefusalProblems.Forbidden(context.Document, rule),
                $"The token is valid but lacks the permission. {rule.Description} WWW-Authenticate carries error=\"insufficient_scope\" and the scope needed.");
        }

        return true;
    }

    /// <summary>The permissions <see cref="Process"/> recorded on <paramref name="operation"/>.</summary>
    public static IEnumerable<string> RequiredPermissions(OpenApiOperation operation) =>
        operation.ExtensionData?.TryGetValue(PermissionsExtension, out var value) is true
            && value is Dictionary<string, object> rule
            && rule["permissions"] is string[] permissions
                ? permissions
                : [];

    /// <summary>Whether the endpoint declared <c>RequireDPoP()</c> (its metadata, as ASP.NET Core describes the endpoint).</summary>
    private static bool RequiresDPoP(OperationProcessorContext context) =>
        context is AspNetCoreOperationProcessorContext { ApiDescription.ActionDescriptor.EndpointMetadata: { } metadata }
        && metadata.OfType<DPoPRequired>().Any();

    /// <summary>
    /// <c>AllowAnonymous()</c> with no verbs opens every verb the endpoint listens to; with verbs,
    /// only those.
    /// </summary>
    private static bool IsAnonymous(EndpointDefinition definition, string method) =>
        definition.AnonymousVerbs?.Contains(method, StringComparer.OrdinalIgnoreCase) is true;

    private static OpenApiResponse Problem(OpenApiMediaType body, string description)
    {
        var response = new OpenApiResponse { Description = description };
        response.Headers["WWW-Authenticate"] = new OpenApiHeader
        {
            Description = "The RFC 6750 challenge: Bearer, with error and error_description when a token was sent.",
            Schema = new JsonSchema { Type = JsonObjectType.String },
        };
        response.Content[ProblemJson] = body;
        return response;
    }
}
