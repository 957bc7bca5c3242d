using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Api.Tests.TestKit;

/// <summary>A small, quiet Kestrel server on 127.0.0.1, for the fake servers tests talk to.</summary>
public static class LoopbackHost
{
    /// <summary>
    /// Starts a server on <paramref name="port"/> (0: any free port) answering with what
    /// <paramref name="map"/> adds, and returns it with the address it listens on.
    /// </summary>
    public static async Task<(WebApplication App, Uri Address)> StartAsync(int port, Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return (app, new Uri(address));
    }
}
