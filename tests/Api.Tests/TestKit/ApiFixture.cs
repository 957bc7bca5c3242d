[assembly: AssemblyFixture(typeof(Api.Tests.TestKit.ApiFixture))]

namespace Api.Tests.TestKit;

/// <summary>
/// One issuer and one API for the whole test run (FastEndpoints' configuration is process-wide),
/// ready before the first test. Tests that need other settings start their own
/// <see cref="ApiFactory"/> against <see cref="Issuer"/>.
/// </summary>
public sealed class ApiFixture : IAsyncLifetime
{
    public TestIssuer Issuer { get; private set; } = null!;

    public ApiFactory Api { get; private set; } = null!;

    public TokenFactory Tokens => Api.Tokens;

    public async ValueTask InitializeAsync()
    {
        Issuer = await TestIssuer.StartAsync();
        Api = await ApiFactory.StartAsync(Issuer);
    }

    /// <summary>
    /// Starts another API on the shared issuer with <paramref name="settings"/> on top, in
    /// <paramref name="environment"/>, and waits until it is ready. The test disposes it.
    /// </summary>
    public Task<ApiFactory> StartApiAsync(IReadOnlyDictionary<string, string?>? settings = null, string environment = "Production") =>
        ApiFactory.StartAsync(Issuer, settings, environment);

    public async ValueTask DisposeAsync()
    {
        await Api.DisposeAsync();
        await Issuer.DisposeAsync();
    }
}
