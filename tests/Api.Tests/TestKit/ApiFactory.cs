using System.Net;
using System.Runtime.ExceptionServices;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Api.Tests.TestKit;

/// <summary>
/// The API itself, on Kestrel at a random 127.0.0.1 port, configured to trust
/// <paramref name="issuer"/>: every request a test sends crosses real HTTP, CORS, JwtBearer
/// and FastEndpoints' authorization. Extra settings override appsettings.json. Given a
/// <paramref name="clock"/>, the API reads time from it instead of the system clock.
/// </summary>
public sealed class ApiFactory(
    TestIssuer issuer, IReadOnlyDictionary<string, string?>? settings = null, string environment = "Production", FakeTimeProvider? clock = null)
    : WebApplicationFactory<Program>
{
    public const string Audience = "https://api.example.test";

    /// <summary>Set when the factory started <see cref="Issuer"/> itself, and so disposes it too.</summary>
    private bool ownsIssuer;

    public TestIssuer Issuer => issuer;

    /// <summary>
    /// The API's clock when it runs on one, null when it runs on the system clock. Everything the
    /// API times on it waits until the test moves it: the key refresh schedule and its retries,
    /// the refresh cooldown, <c>Retry-After</c>, the dev issuer's <c>iat</c>, the metadata timeout
    /// (the only limit on a key fetch: HttpClient's own timeout is off) and the refusal log's minute.
    /// </summary>
    public FakeTimeProvider? Clock => clock;

    /// <summary>
    /// Services a test adds or replaces after the API's own, when the host is built: a probe that
    /// tells the test a request got somewhere, or an <c>IIssuerSelector</c>. Never a replacement for what is being tested.
    /// </summary>
    public Action<IServiceCollection>? TestServices { get; init; }

    public TokenFactory Tokens { get; } = new(issuer, Audience);

    /// <summary>What the API logged, filtered by its logging configuration like any other provider.</summary>
    public CapturedLogs Logs { get; } = new();

    /// <summary>
    /// A clock for <see cref="ApiFactory"/>'s <c>clock</c>, standing still at the real now until a
    /// test moves it. It starts at the real now because IdentityModel checks token lifetimes
    /// against the system clock whatever the API's clock says: tokens minted "now" must be valid
    /// for both.
    /// </summary>
    public static FakeTimeProvider ClockStartingNow() => new(RealClock.Now);

    /// <summary>Starts an API trusting <paramref name="issuer"/> and waits until it is ready.</summary>
    public static Task<ApiFactory> StartAsync(
        TestIssuer issuer, IReadOnlyDictionary<string, string?>? settings = null, string environment = "Production", FakeTimeProvider? clock = null) =>
        new ApiFactory(issuer, settings, environment, clock).StartAndWaitUntilReadyAsync();

    /// <summary>
    /// An issuer and an API of their own, for a test that changes the issuer (rotates or withdraws
    /// keys, stops it) or counts what the API did: started and ready, and disposed together.
    /// <paramref name="prepareIssuer"/> runs before the API starts (to publish extra keys, say).
    /// </summary>
    public static async Task<ApiFactory> StartWithOwnIssuerAsync(
        IReadOnlyDictionary<string, string?>? settings = null, FakeTimeProvider? clock = null, Action<TestIssuer>? prepareIssuer = null)
    {
        var issuer = await TestIssuer.StartAsync();
        prepareIssuer?.Invoke(issuer);
        var api = new ApiFactory(issuer, settings, clock: clock) { ownsIssuer = true };
        try
        {
            return await api.StartAndWaitUntilReadyAsync();
        }
        catch
        {
            await api.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// An API whose issuer has refused connections since before it started, so it never obtains
    /// signing keys: started, not ready. It runs on <see cref="ClockStartingNow"/>, which stands
    /// still: the background retries wait on that clock, so after its first attempt the API stays
    /// exactly in the "never obtained" state for as long as the test looks at it, and no retry
    /// can reach another test's server that is given the freed port.
    /// </summary>
    public static async Task<ApiFactory> StartWithUnreachableIssuerAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var issuer = await TestIssuer.StartAsync();
        await issuer.StopAsync(); // keeps its port, which now refuses connections
        var api = new ApiFactory(issuer, settings, clock: ClockStartingNow()) { ownsIssuer = true };
        try
        {
            api.StartServer();
            return api;
        }
        catch
        {
            await api.DisposeAsync();
            throw;
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.UseEnvironment(environment);
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
        if (clock is not null)
        {
            // Replaces the TimeProvider.System that the API registers with TryAddSingleton, whichever
            // of the two registrations runs first (tests/Api.Tests/TestKit/ApiClockTests.cs shows it).
            builder.ConfigureTestServices(services => services.RemoveAll<TimeProvider>().AddSingleton<TimeProvider>(clock));
        }

        if (TestServices is { } testServices)
        {
            builder.ConfigureTestServices(testServices);
        }

        builder.ConfigureAppConfiguration(configuration =>
        {
            configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Auth0:Domain"] = issuer.Authority.AbsoluteUri,
                ["Auth0:Audience"] = Audience,
            });
            if (settings is not null)
            {
                configuration.AddInMemoryCollection(settings);
            }
        });
    }

    /// <summary>
    /// Starts the server and waits until it holds the signing keys (<c>/health/ready</c> answers
    /// 200); <paramref name="timeout"/> only guards against waiting forever.
    /// </summary>
    public async Task<ApiFactory> StartAndWaitUntilReadyAsync(TimeSpan? timeout = null)
    {
        StartServer();
        using var client = CreateClient();
        var last = (HttpStatusCode)0;
        await Eventually.HoldsAsync(
            async () =>
            {
                using var ready = await client.GetAsync("/health/ready", TestContext.Current.CancellationToken);
                last = ready.StatusCode;
                return last == HttpStatusCode.OK;
            },
            "the API became ready",
            timeout,
            () => $"/health/ready answered {(int)last}.");
        return this;
    }

    /// <summary>A client that sends <paramref name="token"/> as its bearer token with every request.</summary>
    public HttpClient CreateClient(string token)
    {
        var client = CreateClient();
        AuthorizationHeader.Add(client.DefaultRequestHeaders, AuthorizationHeader.Bearer(token));
        return client;
    }

    /// <summary>Stops the API, then the issuer if this factory started it.</summary>
    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (ownsIssuer)
        {
            await issuer.DisposeAsync();
        }
    }

    /// <summary>
    /// Makes <c>StartServer()</c> throw why the host refused to start (e.g. the
    /// <c>OptionsValidationException</c> naming a bad setting). If Program.cs turns that refusal
    /// into an exit code, the factory would otherwise only see its host vanish.
    /// </summary>
    protected override IHost CreateHost(IHostBuilder builder)
    {
        try
        {
            var host = base.CreateHost(builder);
            ThrowIfStartRefused();
            return host;
        }
        catch (ObjectDisposedException)
        {
            // The factory raced the app's own disposal of its failed host.
            ThrowIfStartRefused();
            throw;
        }
    }

    private void ThrowIfStartRefused()
    {
        if (Logs.All.LastOrDefault(l => l.Message == "Hosting failed to start") is { Exception: { } refusal })
        {
            ExceptionDispatchInfo.Throw(refusal);
        }
    }
}
