using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Api.Web;

/// <summary>
/// ASP.NET Core's forwarded-headers middleware, trusting exactly the proxies of
/// <see cref="ProxyOptions"/> (its own default trusts loopback), so the scheme, host and client
/// address the API sees are the client's (README, "DPoP behind a proxy").
/// </summary>
internal static class Proxies
{
    public static IServiceCollection AddProxies(this IServiceCollection services)
    {
        services.AddOptions<ProxyOptions>().BindConfiguration(ProxyOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ProxyOptions>, ProxyOptionsValidator>();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ProxyOptions>>((forwarded, proxies) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in proxies.Value.KnownProxies)
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
            }

            foreach (var network in proxies.Value.KnownNetworks)
            {
                forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
        return services;
    }

    /// <summary>
    /// First in the pipeline, so everything after it sees the client's URL; not there at all when
    /// no proxy is configured, because the middleware with an empty list believes every sender.
    /// Decided from the bound section rather than the validated options, which are not built yet
    /// (a bad value is refused at start-up all the same).
    /// </summary>
    public static WebApplication UseProxies(this WebApplication app)
    {
        if (app.Configuration.GetSection(ProxyOptions.Section).Get<ProxyOptions>() is { } proxies
            && (proxies.KnownProxies.Count > 0 || proxies.KnownNetworks.Count > 0))
        {
            app.UseForwardedHeaders();
        }

        return app;
    }
}
