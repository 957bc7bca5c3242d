using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Api.Tests.TestKit;

namespace Api.Tests.Web;

/// <summary>
/// The health routes (README, "Routes"): live = the process answers; ready = the signing keys
/// are held.
/// </summary>
public sealed class HealthTests(ApiFixture fixture)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task Health_answers_200_Healthy_without_a_token_once_keys_are_held(string route)
    {
        using var client = fixture.Api.CreateClient();
        using var response = await client.GetAsync(route, Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Ready_answers_503_problem_json_while_the_issuer_was_never_reached_and_live_stays_200()
    {
        await using var api = await ApiFactory.StartWithUnreachableIssuerAsync();
        using var client = api.CreateClient();

        using var ready = await client.GetAsync("/health/ready", Cancel);
        using var live = await client.GetAsync("/health/live", Cancel);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var problem = await ready.ReadProblemAsync(Cancel);
        Assert.Equal("Unhealthy", problem.StringOf("health"));
        Assert.Equal("Signing keys not obtained yet.", problem.GetProperty("checks").GetProperty("signing-keys").GetString());
        Assert.Contains("Signing keys not obtained", problem.StringOf("detail"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }
}
