namespace Api.Web;

/// <summary>The <c>Cors</c> section: which browser frontends may call the API with a bearer token.</summary>
internal sealed class ApiCorsOptions
{
    public const string Section = "Cors";

    /// <summary>
    /// Origins (<c>https://app.example.com</c>: scheme, host and port, nothing else). Empty by
    /// default: no origin is trusted until it is named.
    /// </summary>
    public IList<string> AllowedOrigins { get; set; } = [];
}
