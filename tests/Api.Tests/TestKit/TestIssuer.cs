using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.Tokens;

namespace Api.Tests.TestKit;

/// <summary>
/// A real OpenID Connect issuer on 127.0.0.1: Kestrel serving a discovery document and a JWKS
/// over HTTP, exactly what the API fetches from Auth0. Tests control it: add or remove keys,
/// stop it and start it again on the same port, make it slow, and count what it was asked.
/// </summary>
public sealed class TestIssuer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, SigningKey> published = new();
    private readonly ConcurrentBag<SigningKey> owned = [];
    private WebApplication? server;
    private int discoveryRequests;
    private int jwksRequests;

    private TestIssuer(int port)
    {
        Port = port;
        SigningKey = SigningKey.CreateRsa();
        Publish(SigningKey);
    }

    public int Port { get; private set; }

    /// <summary>The authority the API is configured with, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Authority => new($"http://127.0.0.1:{Port}/");

    /// <summary>The <c>issuer</c> of the discovery document: what <c>iss</c> must equal.</summary>
    public string Issuer => Authority.AbsoluteUri;

    /// <summary>The key tokens are signed with unless a test says otherwise; it is published.</summary>
    public SigningKey SigningKey { get; set; }

    public int DiscoveryRequests => Volatile.Read(ref discoveryRequests);

    public int JwksRequests => Volatile.Read(ref jwksRequests);

    /// <summary>The <c>issuer</c> its discovery document names; null: its own <see cref="Issuer"/>, as it should.</summary>
    public string? DiscoveryIssuer { get; set; }

    /// <summary>Delay before each answer, to play a slow issuer.</summary>
    public TimeSpan ResponseDelay { get; set; }

    public bool IsRunning => server is not null;

    public static async Task<TestIssuer> StartAsync(int port = 0)
    {
        var issuer = new TestIssuer(port);
        await issuer.StartAsync();
        return issuer;
    }

    /// <summary>
    /// Puts a key into the JWKS (a rotation publishes the new key before signing with it). The
    /// issuer disposes it at the end, withdrawn or not.
    /// </summary>
    public void Publish(SigningKey key)
    {
        published[key.KeyId] = key;
        owned.Add(key);
    }

    /// <summary>Takes a key out of the JWKS.</summary>
    public void Withdraw(SigningKey key) => published.TryRemove(key.KeyId, out _);

    public void ResetCounters()
    {
        Interlocked.Exchange(ref discoveryRequests, 0);
        Interlocked.Exchange(ref jwksRequests, 0);
    }

    /// <summary>Starts serving, on the port it had before if it was stopped.</summary>
    public async Task StartAsync()
    {
        var (app, address) = await LoopbackHost.StartAsync(Port, routes =>
        {
            routes.MapGet("/.well-known/openid-configuration", async context =>
            {
                Interlocked.Increment(ref discoveryRequests);
                await Task.Delay(ResponseDelay, context.RequestAborted);
                await context.Response.WriteAsJsonAsync(new Dictionary<string, object>
                {
                    ["issuer"] = DiscoveryIssuer ?? Issuer,
                    ["jwks_uri"] = $"{Issuer}.well-known/jwks.json",
                    ["token_endpoint"] = $"{Issuer}oauth/token",
                });
            });
            routes.MapGet("/.well-known/jwks.json", async context =>
            {
                Interlocked.Increment(ref jwksRequests);
                await Task.Delay(ResponseDelay, context.RequestAborted);
                await context.Response.WriteAsJsonAsync(new { keys = published.Values.Select(k => k.ToJwk()).ToArray() });
            });
        });
        Port = address.Port;
        server = app;
    }

    /// <summary>Stops serving: connections to the port are refused until <see cref="StartAsync()"/>.</summary>
    public async Task StopAsync()
    {
        if (server is { } running)
        {
            server = null;
            await running.StopAsync();
            await running.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        foreach (var key in owned.Distinct())
        {
            key.Dispose();
        }
    }
}

/// <summary>An asymmetric key with a <c>kid</c>, able to sign tokens and to describe itself as a JWK.</summary>
public sealed class SigningKey : IDisposable
{
    private readonly AsymmetricAlgorithm algorithm;

    private SigningKey(AsymmetricAlgorithm algorithm, AsymmetricSecurityKey key, string defaultAlgorithm)
    {
        this.algorithm = algorithm;
        Key = key;
        DefaultAlgorithm = defaultAlgorithm;
    }

    public AsymmetricSecurityKey Key { get; }

    public string KeyId => Key.KeyId;

    public string DefaultAlgorithm { get; }

    public static SigningKey CreateRsa(string? keyId = null)
    {
        var rsa = RSA.Create(2048);
        return new(rsa, new RsaSecurityKey(rsa) { KeyId = keyId ?? NewKeyId() }, SecurityAlgorithms.RsaSha256);
    }

    public static SigningKey CreateEcdsa(string? keyId = null)
    {
        var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new(ecdsa, new ECDsaSecurityKey(ecdsa) { KeyId = keyId ?? NewKeyId() }, SecurityAlgorithms.EcdsaSha256);
    }

    /// <summary>The public half, as a JWKS entry.</summary>
    public Dictionary<string, string> ToJwk()
    {
        var jwk = Key switch
        {
            RsaSecurityKey rsa => JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.Rsa.ExportParameters(false)) { KeyId = KeyId }),
            ECDsaSecurityKey ec => JsonWebKeyConverter.ConvertFromECDsaSecurityKey(ec),
            _ => throw new NotSupportedException(Key.GetType().Name),
        };
        var entry = new Dictionary<string, string> { ["kty"] = jwk.Kty, ["kid"] = KeyId, ["use"] = "sig", ["alg"] = DefaultAlgorithm };
        if (jwk.Kty == "RSA")
        {
            entry["n"] = jwk.N;
            entry["e"] = jwk.E;
        }
        else
        {
            entry["crv"] = jwk.Crv;
            entry["x"] = jwk.X;
            entry["y"] = jwk.Y;
        }

        return entry;
    }

    public void Dispose() => algorithm.Dispose();

    private static string NewKeyId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
}
