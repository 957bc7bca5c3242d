namespace Api.Web.Swagger;

/// <summary>The <c>Swagger</c> section: the OpenAPI document and Swagger UI at <c>/swagger</c>.</summary>
internal sealed class SwaggerOptions
{
    public const string Section = "Swagger";

    /// <summary>
    /// Serves <c>/swagger</c> and <c>/swagger/v1/swagger.json</c>. On by default in every
    /// environment: the document only describes what the API already answers, and holds no secret.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Client id of a single-page application in the tenant. When set, Swagger UI also offers the
    /// authorization-code flow with PKCE, so a person can sign in and call the API with their own
    /// permissions. Public by design: a SPA has no secret, and none is ever put in the page.
    /// </summary>
    public string? ClientId { get; set; }
}
