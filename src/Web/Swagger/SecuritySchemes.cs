using Api.Auth;
using Api.Auth.DPoP;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using NSwag;
using NSwag.Generation.Processors;
using NSwag.Generation.Processors.Contexts;

namespace Api.Web.Swagger;

/// <summary>
/// The two ways Swagger UI can authorize: paste an access token (<see cref="Bearer"/>), or let
/// Swagger UI get one from the configured authority (<see cref="OAuth2"/>: Auth0 or, in
/// Development, the dev issuer). Both end in the same JwtBearer check.
/// </summary>
internal sealed class SecuritySchemes(IServiceProvider services) : IDocumentProcessor
{
    /// <summary>The paste-a-token scheme, named as the ASP.NET authentication scheme that checks it.</summary>
    public const string Bearer = JwtBearerDefaults.AuthenticationScheme;

    /// <summary>The scheme whose flows get a token from the authority.</summary>
    public const string OAuth2 = "Auth0";

    /// <summary>DPoP-bound tokens (RFC 9449), named as the HTTP authentication scheme.</summary>
    public const string DPoP = "DPoP";

    public void Process(DocumentProcessorContext context)
    {
        // Resolved here, when the document is first generated, not at start-up: configuration is
        // final and has passed Auth0OptionsValidator by then.
        var auth0 = services.GetRequiredService<IOptions<Auth0Options>>().Value;
        var swagger = services.GetRequiredService<IOptions<SwaggerOptions>>().Value;
        var schemes = context.Document.Components.SecuritySchemes;

        schemes[Bearer] = new OpenApiSecurityScheme
        {
            Type = OpenApiSecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = $"Paste an access token issued for the audience '{auth0.Audience}' (without the word Bearer).",
        };

        // Described, not usable from the page: each request needs a proof signed by the client's key.
        var dpop = services.GetRequiredService<IOptions<DPoPOptions>>().Value;
        if (dpop.Mode != DPoPMode.Disabled)
        {
            schemes[DPoP] = new OpenApiSecurityScheme
            {
                Type = OpenApiSecuritySchemeType.Http,
                Scheme = "dpop",
                Description = "A DPoP-bound access token (RFC 9449): 'Authorization: DPoP <token>' plus a 'DPoP' header holding a proof "
                    + $"signed with the token's key ({string.Join(", ", dpop.Algorithms)}), made for each request. Swagger UI cannot make "
                    + "proofs; see the README section \"DPoP\" for a client that does.",
            };
        }

        if (TokenUrl(auth0) is not { } tokenUrl)
        {
            return;
        }

        // No scopes for client credentials: the token carries every permission granted to the
        // client, and a ticked box could only narrow that, so Swagger UI shows no checkboxes here.
        // NSwag then leaves `scopes` out of the flow (OpenAPI 3.0 asks for it, empty or not);
        // Swagger UI reads the flow just the same.
        var flows = new OpenApiOAuthFlows
        {
            ClientCredentials = new OpenApiOAuthFlow { TokenUrl = tokenUrl },
        };
        if (!string.IsNullOrEmpty(swagger.ClientId))
        {
            flows.AuthorizationCode = WithScopes(
                new OpenApiOAuthFlow { AuthorizationUrl = new Uri(auth0.Authorities[0], "authorize").AbsoluteUri, TokenUrl = tokenUrl },
                PermissionsInUse(context.Document));
        }

        schemes[OAuth2] = new OpenApiSecurityScheme
        {
            Type = OpenApiSecuritySchemeType.OAuth2,
            Flows = flows,
            Description = $"Gets an access token from {auth0.Authorities[0]} for the audience '{auth0.Audience}'. "
                + "Client credentials: the client id and secret of a machine-to-machine application "
                + "(they stay in this browser tab and are sent to the token endpoint only)."
                + (flows.AuthorizationCode is null ? "" : " Authorization code with PKCE: sign in as a user, ticking the permissions to ask for in the token's scope."),
        };
    }

    /// <summary>
    /// Auth0 API permissions are OAuth scopes, offered as checkboxes for a user's sign-in: with RBAC
    /// on, the token's <c>scope</c> holds the ticked permissions the user has (Auth0, "Enable
    /// Role-Based Access Control for APIs"), which is all a user's token carries when the API's "Add
    /// Permissions in the Access Token" is off; with it on, <c>permissions</c> holds them all anyway.
    /// </summary>
    private static OpenApiOAuthFlow WithScopes(OpenApiOAuthFlow flow, IReadOnlyDictionary<string, string> permissions)
    {
        foreach (var (permission, usedBy) in permissions)
        {
            flow.Scopes[permission] = usedBy;
        }

        return flow;
    }

    /// <summary>Every permission an operation asks for, with the operations that ask for it.</summary>
    private static SortedDictionary<string, string> PermissionsInUse(OpenApiDocument document)
    {
        var usedBy = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (path, item) in document.Paths)
        {
            foreach (var (method, operation) in item)
            {
                foreach (var permission in EndpointSecurity.RequiredPermissions(operation))
                {
                    if (!usedBy.TryGetValue(permission, out var operations))
                    {
                        usedBy[permission] = operations = [];
                    }

                    operations.Add($"{method.ToUpperInvariant()} {path}");
                }
            }
        }

        return new(usedBy.ToDictionary(p => p.Key, p => "Ask for it in the token's scope; needed by " + string.Join(", ", p.Value)), StringComparer.Ordinal);
    }

    /// <summary>Auth0's token endpoint of the first configured domain, <c>{authority}oauth/token</c>; null when none is configured.</summary>
    public static string? TokenUrl(Auth0Options auth0) =>
        auth0.Authorities is [var authority, ..] ? new Uri(authority, "oauth/token").AbsoluteUri : null;
}
