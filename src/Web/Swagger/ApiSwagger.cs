using Api.Auth;
using FastEndpoints.Swagger;
using Microsoft.Extensions.Options;
using NSwag.AspNetCore;

namespace Api.Web.Swagger;

/// <summary>
/// The OpenAPI document (<c>/swagger/v1/swagger.json</c>) and Swagger UI (<c>/swagger</c>), on
/// unless <c>Swagger:Enabled</c> is false. Both are plain middleware, outside endpoint
/// authorization: anyone may read them, and they hold no secret.
/// </summary>
internal static class ApiSwagger
{
    public const string UiPath = "/swagger";
    public const string DocumentPath = "/swagger/v1/swagger.json";

    public static WebApplicationBuilder AddApiSwagger(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SwaggerOptions>().BindConfiguration(SwaggerOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SwaggerOptions>, SwaggerOptionsValidator>();
        services.SwaggerDocument(document =>
        {
            document.EnableJWTBearerAuth = false; // its scheme is named JWTBearerAuth; SecuritySchemes names ours
            document.DocumentSettings = settings =>
            {
                settings.DocumentName = "v1";
                settings.Title = "API";
                settings.Version = "v1";
                settings.Description = "Calls need an Auth0 access token for this API: press Authorize, then either paste a token "
                    + "(Bearer) or let Swagger UI get one (Auth0). An operation that needs a permission names it in its summary line.";
                settings.DocumentProcessors.Add(new SecuritySchemes(document.Services));
                settings.OperationProcessors.Add(new EndpointSecurity(document.Services));
            };
        });
        return builder;
    }

    /// <summary>Goes after <c>UseFastEndpoints()</c>, whose endpoints the document describes.</summary>
    public static WebApplication UseApiSwagger(this WebApplication app)
    {
        // Decided from the final configuration, so a test host or the command line can turn it off.
        var swagger = app.Services.GetRequiredService<IOptions<SwaggerOptions>>().Value;
        if (!swagger.Enabled)
        {
            return app;
        }

        // The OAuth settings need Auth0Options, read at the first request for the UI rather than
        // here, so a bad Auth0 configuration is still refused by start-up validation with its own
        // message. NSwag renders the page from its settings object on every request.
        SwaggerUiSettings? ui = null;
        var oauthApplied = new Lazy<bool>(() =>
        {
            SwaggerUiOAuth.Apply(ui!, app.Services.GetRequiredService<IOptions<Auth0Options>>().Value, swagger);
            return true;
        });

        // Everything NSwag serves is under /swagger. Mounted on the main pipeline, its five
        // middlewares (document, redirect, UI index, default files, static files) would each look at
        // every API request's path, three of them through an async state machine: ~1 µs of CPU per
        // request for nothing (bench/RESULTS.md). On this branch they see only their own requests;
        // any other /swagger path still falls through to the rest of the pipeline.
        app.UseWhen(context => context.Request.Path.StartsWithSegments(UiPath), swaggerApp =>
        {
            swaggerApp.Use((context, next) =>
            {
                _ = oauthApplied.Value;
                return next(context);
            });

            swaggerApp.UseSwaggerGen(
                document => document.Path = DocumentPath,
                settings =>
                {
                    settings.Path = UiPath;
                    settings.DocumentPath = DocumentPath;

                    // FastEndpoints' defaults open the page with every operation folded under its tag
                    // ("none"): "list" shows each operation's summary line, permission included, on
                    // load, and opens one on a click ("full" would unfold every response as well).
                    settings.DocExpansion = "list";

                    // An opened operation is ready to Execute, with no "Try it out" press first: these
                    // operations take no input, and README's "Swagger UI" steps count on it.
                    settings.EnableTryItOut = true;

                    // Swagger UI heads the OAuth2 scheme with "Scopes are used to grant... Select which
                    // ones you want to grant", even for a flow that lists none (client credentials, see
                    // SecuritySchemes); the scheme's own description says what its scopes do.
                    settings.CustomInlineStyles = ".swagger-ui .scope-def { display: none; }";
                    ui = settings;
                });
        });
        return app;
    }
}
