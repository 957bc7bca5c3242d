using Api.Web.RateLimits;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Options;

namespace Api.Web;

/// <summary>Lets the browser frontends listed in <c>Cors:AllowedOrigins</c> call the API with a bearer token.</summary>
internal static class ApiCors
{
    public static IServiceCollection AddApiCors(this IServiceCollection services)
    {
        services.AddOptions<ApiCorsOptions>().BindConfiguration(ApiCorsOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiCorsOptions>, ApiCorsOptionsValidator>();
        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<ApiCorsOptions>>((cors, api) =>
            cors.AddDefaultPolicy(policy => policy
                .WithOrigins([.. api.Value.AllowedOrigins.Select(o => o.TrimEnd('/'))])
                .WithMethods("GET", "POST")
                .WithHeaders("Authorization", "Content-Type")
                // A frontend needs the challenge to tell an expired token from a missing permission,
                // and the rate limit fields to slow down before it is refused.
                .WithExposedHeaders("WWW-Authenticate", "Retry-After", TooManyRequests.RateLimitPolicyHeader, TooManyRequests.RateLimitHeader)
                .SetPreflightMaxAge(TimeSpan.FromHours(1))));
        return services;
    }
}
