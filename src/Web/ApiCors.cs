namespace Api.Web;

/// <summary>
/// Lets the browser frontends listed in <c>Cors:AllowedOrigins</c> call the API with a bearer
/// token. Empty by default: no origin is trusted until it is named.
/// </summary>
public static class ApiCors
{
    public static IServiceCollection AddApiCors(this IServiceCollection services, IConfiguration configuration)
    {
        var origins = configuration.GetSection("Cors:AllowedOrigins").Get<string[]>() ?? [];
        return services.AddCors(cors => cors.AddDefaultPolicy(policy => policy
            .WithOrigins(origins)
            .WithMethods("GET", "POST")
            .WithHeaders("Authorization", "Content-Type")
            // A frontend needs the challenge to tell an expired token from a missing permission.
            .WithExposedHeaders("WWW-Authenticate", "Retry-After")
            .SetPreflightMaxAge(TimeSpan.FromHours(1))));
    }
}
