using System.Net;
using Api.Tests.TestKit;

namespace Api.Tests.Auth.DevIssuer;

public sealed class DevIssuerLifecycleTests(ApiFixture fixture)
{
    [Fact]
    public async Task The_signing_key_survives_a_restart_and_only_its_owner_can_read_it()
    {
        var keyDirectory = Directory.CreateTempSubdirectory("dev-issuer-restart-").FullName;
        try
        {
            var keyPath = Path.Combine(keyDirectory, "signing-key.pem");
            var port = ApiProcess.FreeLoopbackPort();
            string token;
            await using (var first = DevIssuerFixture.StartApi(keyPath, port))
            {
                await first.WaitUntilReadyAsync();
                using var client = first.CreateClient();
                token = await TokenRequests.GetTokenAsync(client, "frontend", "frontend-dev-secret");
            }

            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyPath));
            }

            await using var second = DevIssuerFixture.StartApi(keyPath, port);
            await second.WaitUntilReadyAsync();
            using var again = second.CreateClient();
            using var response = await again.GetWithBearerAsync("/api/private-scoped", token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            Directory.Delete(keyDirectory, recursive: true);
        }
    }

    public static TheoryData<string, string> IssuerRoutes => new()
    {
        { "GET", "/.well-known/openid-configuration" },
        { "GET", "/.well-known/jwks.json" },
        { "POST", "/oauth/token" },
    };

    [Theory]
    [MemberData(nameof(IssuerRoutes))]
    public async Task Outside_Development_the_dev_issuer_does_not_exist_whatever_the_configuration_says(string method, string path)
    {
        await using var production = await fixture.StartApiAsync(new Dictionary<string, string?>
        {
            ["DevIssuer:Issuer"] = "http://localhost:5080/",
            ["DevIssuer:Clients:frontend:Secret"] = "frontend-dev-secret",
        });
        using var client = production.CreateClient();

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = method == "POST" ? new FormUrlEncodedContent([KeyValuePair.Create("grant_type", "client_credentials")]) : null,
        }, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    [InlineData("Test")]
    public async Task Outside_Development_a_missing_domain_refuses_start_up_instead_of_falling_back_to_the_dev_issuer(string environment)
    {
        await using var api = new ApiFactory(fixture.Issuer, new Dictionary<string, string?>
        {
            ["Auth0:Domain"] = "",
            ["DevIssuer:Issuer"] = "http://localhost:5080/",
        }, environment);

        var refusal = Record.Exception(api.StartServer);

        Assert.NotNull(refusal);
        Assert.Contains("Auth0:Domain is missing", refusal.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task In_Development_a_configured_Auth0_domain_turns_the_dev_issuer_off()
    {
        await using var development = await fixture.StartApiAsync(environment: "Development");
        using var client = development.CreateClient();

        using var response = await client.GetAsync("/.well-known/jwks.json", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
