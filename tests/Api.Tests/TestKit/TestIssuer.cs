using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.Tokens;

namespace Api.Tests.TestKit;

/// <summary>
/// A real OpenID Connect issuer on 127.0.0.1: Kestrel serving a discovery document and a JWKS
/// over HTTP, exactly what the API fetches from Auth0. Tests control it: add or remove keys,
/// change how the JWKS answers, hold its answers until released, stop it and start it again on
/// the same port, and count what it was asked.
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

    /// <summary>Requests for the discovery document so far, counted as they arrive (held or not).</summary>
    public int DiscoveryRequests => Volatile.Read(ref discoveryRequests);

    /// <summary>Requests for the JWKS so far, counted as they arrive (held or not).</summary>
    public int JwksRequests => Volatile.Read(ref jwksRequests);

    /// <summary>The <c>issuer</c> its discovery document names; null: its own <see cref="Issuer"/>, as it should.</summary>
    public string? DiscoveryIssuer { get; set; }

    /// <summary>Holds discovery answers while closed: a slow issuer, as slow as the test wants.</summary>
    public AnswerGate DiscoveryGate { get; } = new();

    /// <summary>Holds JWKS answers while closed.</summary>
    public AnswerGate JwksGate { get; } = new();

    /// <summary>What the JWKS endpoint answers; by default the published keys, 200, no <c>Cache-Control</c>.</summary>
    public JwksAnswer Jwks { get; set; } = JwksAnswer.PublishedKeys;

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

    /// <summary>Holds every answer, discovery and JWKS, until <see cref="ReleaseAnswers"/>.</summary>
    public void HoldAnswers()
    {
        DiscoveryGate.Hold();
        JwksGate.Hold();
    }

    /// <summary>Lets the held answers, and every later one, go out.</summary>
    public void ReleaseAnswers()
    {
        DiscoveryGate.Release();
        JwksGate.Release();
    }

    /// <summary>Starts serving, on the port it had before if it was stopped.</summary>
    public async Task StartAsync()
    {
        var (app, address) = await LoopbackHost.StartAsync(Port, routes =>
        {
            routes.MapGet("/.well-known/openid-configuration", async context =>
            {
                Interlocked.Increment(ref discoveryRequests);
                if (await DiscoveryGate.PassAsync(context))
                {
                    await context.Response.WriteAsJsonAsync(new Dictionary<string, object>
                    {
                        ["issuer"] = DiscoveryIssuer ?? Issuer,
                        ["jwks_uri"] = $"{Issuer}.well-known/jwks.json",
                        ["token_endpoint"] = $"{Issuer}oauth/token",
                    });
                }
            });
            routes.MapGet("/.well-known/jwks.json", async context =>
            {
                Interlocked.Increment(ref jwksRequests);
                if (await JwksGate.PassAsync(context))
                {
                    await Jwks.WriteAsync(context, published.Values);
                }
            });
        });
        Port = address.Port;
        server = app;
    }

    /// <summary>
    /// Stops serving: connections to the port are refused until <see cref="StartAsync()"/>. Answers
    /// still held are broken off, as a server going away would.
    /// </summary>
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

/// <summary>
/// Holds a <see cref="TestIssuer"/>'s answers while closed, so a test decides when (and whether)
/// an answer the API is waiting for goes out: no delay has to be guessed long enough.
/// </summary>
public sealed class AnswerGate
{
    private readonly Lock sync = new();
    private TaskCompletionSource? closed;
    private int held;

    /// <summary>Requests waiting at the gate now: the API is waiting for them.</summary>
    public int Held => Volatile.Read(ref held);

    /// <summary>Holds the answers to requests from now on (and keeps holding once closed).</summary>
    public void Hold()
    {
        lock (sync)
        {
            closed ??= new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Lets the held answers, and every later one, go out.</summary>
    public void Release()
    {
        TaskCompletionSource? open;
        lock (sync)
        {
            (open, closed) = (closed, null);
        }

        open?.TrySetResult();
    }

    /// <summary>
    /// Waits while the gate is closed. False when the request ended meanwhile (the API gave up
    /// on it) or the issuer is stopping: then the connection is broken off and nothing is answered.
    /// </summary>
    internal async Task<bool> PassAsync(HttpContext context)
    {
        Task? wait;
        lock (sync)
        {
            wait = closed?.Task;
        }

        if (wait is null)
        {
            return true;
        }

        var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        Interlocked.Increment(ref held);
        try
        {
            await wait.WaitAsync(ended.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            context.Abort();
            return false;
        }
        finally
        {
            Interlocked.Decrement(ref held);
        }
    }
}

/// <summary>
/// How a <see cref="TestIssuer"/>'s JWKS endpoint answers: a status, a body in place of the
/// published keys, a <c>Cache-Control</c> header; null parts keep the default.
/// </summary>
public sealed record JwksAnswer(int Status = StatusCodes.Status200OK, string? Body = null, string? CacheControl = null)
{
    /// <summary>The published keys, 200, no <c>Cache-Control</c>.</summary>
    public static JwksAnswer PublishedKeys { get; } = new();

    /// <summary>A well-formed JWKS holding no key at all.</summary>
    public static JwksAnswer EmptyKeySet { get; } = new(Body: """{"keys":[]}""");

    /// <summary>The published keys with <c>Cache-Control: <paramref name="value"/></c>.</summary>
    public static JwksAnswer WithCacheControl(string value) => new(CacheControl: value);

    internal async Task WriteAsync(HttpContext context, IEnumerable<SigningKey> keys)
    {
        context.Response.StatusCode = Status;
        if (CacheControl is not null)
        {
            context.Response.Headers.CacheControl = CacheControl;
        }

        if (Body is null)
        {
            await context.Response.WriteAsJsonAsync(new { keys = keys.Select(k => k.ToJwk()).ToArray() });
        }
        else
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(Body);
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
