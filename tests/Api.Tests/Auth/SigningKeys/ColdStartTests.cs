using System.Net;
using Api.Tests.TestKit;
using Microsoft.Extensions.Logging;

namespace Api.Tests.Auth.SigningKeys;

[Collection(nameof(SigningKeysTestGroup))]
public sealed class ColdStartTests
{
    [Fact]
    public async Task Keys_are_fetched_at_start_up_not_on_the_first_request()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var api = new ApiFactory(issuer, Keys.Settings());

        api.StartServer();

        // No request has reached the API yet, only the issuer has been asked.
        await Keys.EventuallyAsync(() => Task.FromResult(issuer.JwksRequests == 1), TimeSpan.FromSeconds(5), "the JWKS was fetched at start-up");
        using var client = api.CreateClient();
        await Keys.EventuallyAsync(
            async () => (await Keys.GetAsync(client, "/health/ready")).Status == HttpStatusCode.OK, TimeSpan.FromSeconds(5), "ready");
        Assert.Equal((HttpStatusCode.OK, null), await Keys.GetAsync(client, "/api/private", api.Tokens.Create()));
        Assert.Equal(1, issuer.JwksRequests);
        Assert.Equal(1, api.Logs.Count(LogLevel.Information, "Signing keys obtained after 1 attempt(s)"));
    }

    [Fact]
    public async Task Without_its_issuer_the_api_starts_answers_503_and_recovers_on_its_own_once_the_issuer_is_up()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await issuer.StopAsync(); // keeps its port, which now refuses connections
        await using var api = new ApiFactory(issuer, Keys.Settings());
        var token = api.Tokens.WithPermissions("read:messages");

        api.StartServer();
        using var client = api.CreateClient();
        await Task.Delay(TimeSpan.FromSeconds(1), Keys.Cancel); // a few failed attempts

        using (var refused = await SendAsync(client, "/api/private", token))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.True(refused.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 and <= 30 }, $"Retry-After: {refused.Headers.RetryAfter}");
        }

        Assert.Equal((HttpStatusCode.ServiceUnavailable, "keys_unavailable"), await Keys.GetAsync(client, "/api/private-scoped", token));
        Assert.Equal((HttpStatusCode.Unauthorized, "missing_token"), await Keys.GetAsync(client, "/api/private")); // no token is the caller's problem whatever our state
        Assert.Equal((HttpStatusCode.OK, null), await Keys.GetAsync(client, "/api/public"));
        Assert.Equal((HttpStatusCode.OK, null), await Keys.GetAsync(client, "/health/live"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await Keys.GetAsync(client, "/health/ready")).Status);

        await issuer.StartAsync();
        var recovery = System.Diagnostics.Stopwatch.StartNew();
        await Keys.EventuallyAsync(
            async () => (await Keys.GetAsync(client, "/health/ready")).Status == HttpStatusCode.OK,
            TimeSpan.FromSeconds(10),
            "ready once the issuer answers");
        Assert.Equal((HttpStatusCode.OK, null), await Keys.GetAsync(client, "/api/private", token));
        Assert.Equal((HttpStatusCode.OK, null), await Keys.GetAsync(client, "/api/private-scoped", token));
        Assert.Equal(1, api.Logs.Count(LogLevel.Warning, "Signing keys could not be obtained"));
        var obtained = Assert.Single(api.Logs.All, l => l.Message.StartsWith("Signing keys obtained after", StringComparison.Ordinal));
        Assert.DoesNotContain("after 1 attempt", obtained.Message, StringComparison.Ordinal);
        TestContext.Current.TestOutputHelper?.WriteLine($"ready {recovery.ElapsedMilliseconds} ms after the issuer started; {obtained.Message}");
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new("Bearer", token);
        return await client.SendAsync(request, Keys.Cancel);
    }
}
