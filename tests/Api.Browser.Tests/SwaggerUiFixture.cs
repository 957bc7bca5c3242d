using Api.Tests.TestKit;
using Microsoft.Playwright;

namespace Api.Browser.Tests;

/// <summary>
/// The API as <c>dotnet run</c> starts it (Development, dev issuer on, a real process on a loopback
/// port) and the system's headless Chromium, driven by Playwright. No browser is downloaded: the
/// Debian <c>chromium</c> package is used, which <c>.ci/install</c> puts on CI machines.
/// </summary>
public sealed class SwaggerUiFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", // CI runs as root, where Chromium's sandbox cannot start
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ];

    private readonly string keyDirectory = Directory.CreateTempSubdirectory("swagger-ui-dev-issuer-").FullName;
    private IPlaywright? playwright;

    public ApiProcess Api { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>
    /// Generous, as these tests run beside the other test projects on a shared machine: nothing
    /// takes this long unless the machine is starved.
    /// </summary>
    public static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);

    /// <summary>For each wait in the page (an element, a response); see <see cref="StartupTimeout"/>.</summary>
    public static readonly TimeSpan PageTimeout = TimeSpan.FromSeconds(30);

    public static bool HasChromium => File.Exists(ChromiumPath);

    /// <summary>Why the browser tests cannot run here, or null when they can.</summary>
    public static string? MissingChromium => HasChromium
        ? null
        : $"No Chromium at {ChromiumPath}: install the Debian package with `apt-get install -y chromium` (.ci/install does it on CI) to run the Swagger UI browser tests.";

    public async ValueTask InitializeAsync()
    {
        if (!HasChromium)
        {
            return;
        }

        Api = await StartApiAsync();

        Assertions.SetDefaultExpectTimeout((float)PageTimeout.TotalMilliseconds);
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
        });
    }

    /// <summary>Starts another API process like <see cref="Api"/>, with <paramref name="settings"/> on top.</summary>
    public async Task<ApiProcess> StartApiAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["DevIssuer__KeyPath"] = Path.Combine(keyDirectory, "signing-key.pem"),
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string?>())
        {
            environment[name] = value;
        }

        var api = ApiProcess.Start(environment);
        try
        {
            await api.WaitUntilReadyAsync(StartupTimeout);
            return api;
        }
        catch
        {
            await api.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        playwright?.Dispose();
        if (Api is not null)
        {
            await Api.DisposeAsync();
        }

        Directory.Delete(keyDirectory, recursive: true);
    }
}
