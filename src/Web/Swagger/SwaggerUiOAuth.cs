using System.Text.Json;
using Api.Auth;
using Newtonsoft.Json.Linq;
using NSwag.AspNetCore;

namespace Api.Web.Swagger;

/// <summary>
/// Makes Swagger UI's OAuth2 flows get tokens Auth0 accepts. Auth0 issues a JWT for this API only
/// when the request names the <c>audience</c>, which Swagger UI cannot send by itself: for the
/// authorization-code flow it goes on <c>/authorize</c>; for client credentials it must be in the
/// token request body, so a request interceptor puts it there.
/// </summary>
internal static class SwaggerUiOAuth
{
    public static void Apply(SwaggerUiSettings ui, Auth0Options auth0, SwaggerOptions swagger)
    {
        // Kept off: Swagger UI would store the client secret typed into the dialog in localStorage.
        ui.PersistAuthorization = false;

        if (SecuritySchemes.TokenUrl(auth0) is { } tokenUrl)
        {
            // NSwag JSON-serialises AdditionalSettings; JRaw is how a function gets through as code.
            ui.AdditionalSettings["requestInterceptor"] = new JRaw(ClientCredentialsInterceptor(tokenUrl, auth0.Audience ?? ""));
        }

        // Always set: NSwag's own defaults would pre-fill the dialog with "client_id" and
        // "client_secret" and send realm=realm. No secret is ever set: the page is public.
        ui.OAuth2Client = new OAuth2ClientSettings
        {
            ClientId = swagger.ClientId ?? "", // empty: NSwag skips initOAuth altogether
            ClientSecret = "",
            Realm = "",
            AppName = "Swagger UI",
            UsePkceWithAuthorizationCodeGrant = true,
        };
        if (!string.IsNullOrEmpty(auth0.Audience))
        {
            ui.OAuth2Client.AdditionalQueryStringParameters["audience"] = auth0.Audience;
        }
    }

    /// <summary>
    /// Rewrites Swagger UI's client-credentials token request into the one Auth0 documents:
    /// grant_type, client_id, client_secret and audience in the form body. Swagger UI authenticates
    /// the client with HTTP Basic and always sends <c>scope</c>, empty when no box is ticked: the
    /// credentials move into the body (client_secret_post, the default of an Auth0 M2M application,
    /// and no RFC 6749 §2.3.1 encoding question), and an empty scope is dropped so the token carries
    /// every permission granted to the client. Every other request passes untouched.
    /// </summary>
    internal static string ClientCredentialsInterceptor(string tokenUrl, string audience) => $$"""
        function (request) {
          var tokenUrl = {{JsonSerializer.Serialize(tokenUrl)}};
          var audience = {{JsonSerializer.Serialize(audience)}};
          var url = new URL(request.url, window.location.href);
          if (String(request.method).toUpperCase() !== 'POST' || url.origin + url.pathname !== tokenUrl || typeof request.body !== 'string') {
            return request;
          }
          var body = new URLSearchParams(request.body);
          if (body.get('grant_type') !== 'client_credentials') {
            return request;
          }
          var headers = request.headers || {};
          var basic = /^Basic\s+(.+)$/i.exec(headers.Authorization || '');
          if (basic && !body.has('client_secret')) {
            var bytes = Uint8Array.from(atob(basic[1]), function (c) { return c.charCodeAt(0); });
            var credentials = new TextDecoder().decode(bytes);
            var colon = credentials.indexOf(':');
            body.set('client_id', credentials.slice(0, colon));
            body.set('client_secret', credentials.slice(colon + 1));
            delete headers.Authorization;
          }
          if (!body.get('scope')) {
            body.delete('scope');
          }
          if (audience && !body.has('audience')) {
            body.set('audience', audience);
          }
          request.body = body.toString();
          return request;
        }
        """;
}
