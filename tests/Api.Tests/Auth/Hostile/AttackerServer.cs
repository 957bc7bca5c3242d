using Api.Tests.TestKit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Api.Tests.Auth.Hostile;

/// <summary>
/// A forger's web server on 127.0.0.1, serving the forger's own JWKS and certificate: where a
/// <c>jku</c> or <c>x5u</c> header points. A token's own word about its key is never trusted
/// (RFC 8725 §3.10), so the API must never ask this server anything; it counts every request,
/// whatever the path.
/// </summary>
public sealed class AttackerServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private int requests;

    private AttackerServer(WebApplication app, Uri address)
    {
        this.app = app;
        Address = address;
    }

    public Uri Address { get; }

    public Uri JwksUri => new(Address, "/.well-known/jwks.json");

    public Uri CertificateUri => new(Address, "/attacker.pem");

    /// <summary>How many requests reached the server since it started.</summary>
    public int Requests => Volatile.Read(ref requests);

    public static async Task<AttackerServer> StartAsync(SigningKey key, string certificatePem)
    {
        AttackerServer? server = null;
        var (app, address) = await LoopbackHost.StartAsync(0, routes => routes.Run(async context =>
        {
            Interlocked.Increment(ref server!.requests);
            if (context.Request.Path.StartsWithSegments("/.well-known/jwks.json", StringComparison.Ordinal))
            {
                await context.Response.WriteAsJsonAsync(new { keys = new[] { key.ToJwk() } });
            }
            else
            {
                await context.Response.WriteAsync(certificatePem);
            }
        }));
        server = new AttackerServer(app, address);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
