using Api.Redis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Api.Auth.DPoP;

/// <summary>Registers what checks DPoP proofs: options, replay cache, nonces and the proof validator.</summary>
internal static class DPoPServices
{
    /// <summary>
    /// Adds the DPoP services once, however many parts of the API ask for them (the resource
    /// server's authentication and the dev issuer's token endpoint both do). The replay cache is
    /// shared in Redis when <c>ConnectionStrings:Redis</c> is set, else in this process's memory,
    /// unless another <see cref="IDPoPReplayCache"/> was registered first.
    /// </summary>
    public static IServiceCollection AddDPoP(this IServiceCollection services)
    {
        if (services.Any(s => s.ServiceType == typeof(DPoPProofValidator)))
        {
            return services; // binding the options twice would append every configured algorithm twice
        }

        services.AddOptions<DPoPOptions>()
            .BindConfiguration(DPoPOptions.Section)
            .PostConfigure(o => o.ApplyListDefaults())
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<DPoPOptions>, DPoPOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IDPoPReplayCache>(provider => provider.GetService<RedisConnection>() is { IsConfigured: true }
            ? ActivatorUtilities.CreateInstance<RedisDPoPReplayCache>(provider)
            : ActivatorUtilities.CreateInstance<InMemoryDPoPReplayCache>(provider));
        services.AddSingleton<DPoPNonces>();
        services.AddSingleton<ProofKeys>();
        services.AddSingleton<DPoPProofValidator>();
        return services;
    }
}
