using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Api.Redis;

/// <summary>
/// The one place the app's Redis is set up (README, "Running several instances"): its options,
/// its connection, and its readiness check. With <c>ConnectionStrings:Redis</c> unset nothing
/// connects and no check is added: the API runs with nothing external.
/// </summary>
internal static class SharedRedis
{
    /// <summary>Long enough for a PING across a network, short enough for a load balancer's probe.</summary>
    private static readonly TimeSpan HealthCheckTimeout = TimeSpan.FromSeconds(2);

    public static WebApplicationBuilder AddSharedRedis(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<RedisOptions>()
            .Configure<IConfiguration>((redis, configuration) => redis.ConnectionString = configuration.GetConnectionString(RedisOptions.Name))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<RedisOptions>, RedisOptionsValidator>();
        services.AddSingleton<RedisConnection>();
        services.AddHostedService(provider => provider.GetRequiredService<RedisConnection>());

        // Added from the final configuration (a test host's settings arrive after this method has
        // run), read directly rather than through the validated options: the health service reads
        // its registrations while the pipeline is built, before start-up validation has had its say.
        services.AddHealthChecks();
        services.AddOptions<HealthCheckServiceOptions>().Configure<IConfiguration>((health, configuration) =>
        {
            if (new RedisOptions { ConnectionString = configuration.GetConnectionString(RedisOptions.Name) }.IsConfigured)
            {
                health.Registrations.Add(new HealthCheckRegistration(
                    "redis", provider => ActivatorUtilities.CreateInstance<RedisHealthCheck>(provider), HealthStatus.Degraded, ["ready"], HealthCheckTimeout));
            }
        });
        return builder;
    }
}
