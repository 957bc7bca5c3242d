using Api.Redis;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Api.Web.RateLimits;

/// <summary>
/// Per-client rate limits (README, "Callers and limits") on ASP.NET Core's rate limiting
/// middleware, counted in Redis when <c>ConnectionStrings:Redis</c> is set, else in memory.
/// </summary>
internal static class ApiRateLimits
{
    public static IServiceCollection AddApiRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitsOptions>().BindConfiguration(RateLimitsOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RateLimitsOptions>, RateLimitsOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<RateLimitMetrics>();
        services.AddSingleton<CallerPartitions>();
        // Chosen once, from the final configuration (the Redis connection comes from AddSharedRedis).
        services.AddSingleton<IWindowCounters>(provider => provider.GetRequiredService<RedisConnection>().IsConfigured
            ? ActivatorUtilities.CreateInstance<RedisWindowCounters>(provider)
            : ActivatorUtilities.CreateInstance<MemoryWindowCounters>(provider));
        services.AddSingleton<CallerRateLimiter>();
        services.AddRateLimiter();
        services.AddOptions<RateLimiterOptions>().Configure<CallerRateLimiter>((options, limiter) =>
        {
            options.GlobalLimiter = limiter;
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = TooManyRequests.WriteAsync;
        });
        return services;
    }

    /// <summary>
    /// Goes after authentication, whose validated token names the client, and before
    /// authorization, so requests refused there (401, 403) are counted too.
    /// </summary>
    public static WebApplication UseApiRateLimits(this WebApplication app)
    {
        // Composed as the server starts, after start-up validation has refused a bad configuration
        // with its own message. With no limit configured, requests skip the rate limiter entirely.
        app.Use(next =>
        {
            if (!app.Services.GetRequiredService<CallerPartitions>().AnyLimit)
            {
                return next;
            }

            var limiter = ((IApplicationBuilder)app).New();
            limiter.UseRateLimiter();
            limiter.Run(next);
            var limited = limiter.Build();
            return context => CallerPartitions.IsExempt(context.Request.Path) ? next(context) : limited(context);
        });
        return app;
    }
}
