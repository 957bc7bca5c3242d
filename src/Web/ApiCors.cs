using Microsoft.AspNetCore.Cors.Infrastructure;

namespace Api.Web;

/// <summary>
/// Lets the browser frontends listed in <c>Cors:AllowedOrigins</c> call the API with a bearer
/// token. Empty by default: no origin is trusted until it is named.
/// </summary>
public static class ApiCors
{
    public static IServiceCollection AddApiCors(this IServiceCollection services)
    {
        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IConfiguration>((cors, configuration) =>
        {
            var origins = configuration.GetSection("Cors:AllowedOrigins").Get<string[]>() ?? [];
            cors.AddDefaultPolicy(policy => policy
                .WithOrigins(origins)
                .WithMethods("GET", "POST")
                .WithHeaders("Authorization", "Content-Type")
                // A frontend needs the challenge to tell an expired token from a missing permission.
                .WithExposedHeaders("WWW-Authenticate", "Retry-After")
                .SetPreflightMaxAge(TimeSpan.FromHours(1)));
        });
        return services;
    }
}
