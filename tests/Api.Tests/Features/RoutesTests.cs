using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Api.Tests.TestKit;

namespace Api.Tests.Features;

public sealed class RoutesTests(ApiFixture fixture)
{
    [Fact]
    public async Task Public_answers_200_without_a_token()
    {
        using var client = fixture.Api.CreateClient();
        using var response = await client.GetAsync("/api/public", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Contains("public", body.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Private_scoped_answers_200_with_read_messages()
    {
        using var client = fixture.Api.CreateClient(fixture.Tokens.WithPermissions("read:messages"));
        using var response = await client.GetAsync("/api/private-scoped", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
