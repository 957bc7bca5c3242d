using System.Net;
using Api.Tests.TestKit;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using static Api.Tests.TestKit.AuthorizationHeader;

namespace Api.Tests.Auth.SigningKeys;

/// <summary>
/// The first keys after a (re)start (README, "How keys are handled"): fetched at start-up, waited
/// for by the requests that arrive meanwhile, and retried until the issuer answers.
/// </summary>
[Collection(nameof(SigningKeysTestGroup))]
public sealed class ColdStartTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Keys_are_fetched_at_start_up_not_on_the_first_request()
    {
        // Ready means keys held, and /health/ready carries no token: no request asked for them.
        await using var api = await Keys.StartApiAsync();
        Assert.Equal(1, api.Issuer.JwksRequests);

        Assert.Equal((HttpStatusCode.OK, null), await api.StatusAndReasonAsync("/api/private", Bearer(api.Tokens.Create())));
        Assert.Equal(1, api.Issuer.JwksRequests);
        Assert.Equal(1, api.Logs.Count(LogLevel.Information, "Signing keys obtained after 1 attempt(s)"));
    }

    [Fact]
    public async Task A_token_sent_while_the_first_key_fetch_is_under_way_waits_for_it_and_gets_200()
    {
        await using var issuer = await TestIssuer.StartAsync();
        issuer.HoldAnswers();
        var probe = new TokenValidationProbe();
        await using var api = Keys.CreateApi(issuer, probe.Install);
        api.StartServer();
        await Eventually.HoldsAsync(() => issuer.DiscoveryGate.Held == 1, "the start-up fetch is waiting for the issuer");
        using var client = api.CreateClient();

        var answer = client.StatusAndReasonAsync("/api/private", Bearer(api.Tokens.Create()));
        Assert.True(await probe.WasWaitingAsync(), "The request was answered without waiting for the fetch under way.");
        issuer.ReleaseAnswers();

        Assert.Equal((HttpStatusCode.OK, null), await answer.AnsweredAsync());
        Assert.Equal(1, issuer.JwksRequests); // the fetch it waited for, not one of its own
    }

    [Fact]
    public async Task A_token_sent_while_the_first_key_fetch_is_under_way_gets_503_with_Retry_After_when_the_issuer_does_not_answer_within_MetadataTimeout()
    {
        await using var issuer = await TestIssuer.StartAsync();
        issuer.HoldAnswers();
        var probe = new TokenValidationProbe();
        await using var api = Keys.CreateApi(issuer, probe.Install);
        api.StartServer();
        await Eventually.HoldsAsync(() => issuer.DiscoveryGate.Held == 1, "the start-up fetch is waiting for the issuer");
        using var client = api.CreateClient();
        var token = api.Tokens.Create();

        var answer = client.GetWithBearerAsync("/api/private", token);
        Assert.True(await probe.WasWaitingAsync(), "The request was answered without waiting for the fetch under way.");
        api.TestClock().Advance(api.Auth0Options().MetadataTimeout);

        using (var refused = await answer.AnsweredAsync())
        {
            await AssertKeysUnavailableAsync(refused, retryAfter: TimeSpan.FromSeconds(1)); // the first retry, 0.25 s away, in whole seconds
        }

        Assert.Equal(1, api.Logs.Count(LogLevel.Warning, "Signing keys could not be obtained"));
        Assert.Equal(1, api.Logs.Count(LogLevel.Warning, "did not answer within 00:00:05 (Auth0:MetadataTimeout)"));

        // Once the issuer answers in time, the next retry gets the keys.
        issuer.ReleaseAnswers();
        await api.RunScheduledRefreshAsync();
        Assert.Equal((HttpStatusCode.OK, null), await client.StatusAndReasonAsync("/api/private", Bearer(token)));
        Assert.Equal((HttpStatusCode.OK, null), await client.StatusAndReasonAsync("/health/ready", authorization: null));
    }

    [Fact]
    public async Task A_token_sent_while_the_first_key_fetch_is_under_way_gets_503_with_Retry_After_when_the_issuer_answers_an_error()
    {
        await using var issuer = await TestIssuer.StartAsync();
        issuer.Jwks = new JwksAnswer(Status: StatusCodes.Status500InternalServerError);
        issuer.HoldAnswers();
        var probe = new TokenValidationProbe();
        await using var api = Keys.CreateApi(issuer, probe.Install);
        api.StartServer();
        await Eventually.HoldsAsync(() => issuer.DiscoveryGate.Held == 1, "the start-up fetch is waiting for the issuer");
        using var client = api.CreateClient();

        var answer = client.GetWithBearerAsync("/api/private", api.Tokens.Create());
        Assert.True(await probe.WasWaitingAsync(), "The request was answered without waiting for the fetch under way.");
        issuer.ReleaseAnswers();

        using var refused = await answer.AnsweredAsync();
        await AssertKeysUnavailableAsync(refused, retryAfter: TimeSpan.FromSeconds(1));
        Assert.Equal(1, api.Logs.Count(LogLevel.Warning, "Signing keys could not be obtained"));
        Assert.Equal(1, api.Logs.Count(LogLevel.Warning, "answered HTTP 500"));
    }

    [Fact]
    public async Task With_no_keys_and_no_fetch_under_way_a_token_gets_503_at_once_without_asking_the_issuer()
    {
        await using var issuer = await TestIssuer.StartAsync();
        issuer.Jwks = new JwksAnswer(Status: StatusCodes.Status500InternalServerError);
        var probe = new TokenValidationProbe();
        await using var api = Keys.CreateApi(issuer, probe.Install);
        api.StartServer();
        await api.NextRefreshAsync(); // the start-up fetch failed; its retry waits on the test clock, which stands still
        var asked = (issuer.DiscoveryRequests, issuer.JwksRequests);

        using var refused = await api.GetWithAuthorizationAsync("/api/private", Bearer(api.Tokens.Create()));

        Assert.False(await probe.WasWaitingAsync(), "The request waited, with no fetch under way to wait for.");
        await AssertKeysUnavailableAsync(refused, retryAfter: TimeSpan.FromSeconds(1));
        Assert.Equal(asked, (issuer.DiscoveryRequests, issuer.JwksRequests));
    }

    [Fact]
    public async Task Without_its_issuer_the_API_starts_answers_503_until_the_next_retry_and_recovers_on_its_own_once_the_issuer_is_up()
    {
        await using var api = await ApiFactory.StartWithUnreachableIssuerAsync(Keys.Settings());
        var clock = api.TestClock();
        var token = api.Tokens.WithPermissions("read:messages");

        // The start-up fetch and five retries fail, each retry waiting twice as long: 0.25 s to 8 s.
        await api.NextRefreshAsync();
        for (var retry = 0; retry < 5; retry++)
        {
            await api.RunScheduledRefreshAsync();
        }

        var nextRetry = await api.NextRefreshAsync();
        Assert.Equal(TimeSpan.FromSeconds(8), nextRetry - clock.GetUtcNow());

        using var client = api.CreateClient();
        using (var refused = await client.GetWithBearerAsync("/api/private", token))
        {
            await AssertKeysUnavailableAsync(refused, retryAfter: TimeSpan.FromSeconds(8)); // exactly when the next attempt is
        }

        Assert.Equal((HttpStatusCode.ServiceUnavailable, "keys_unavailable"), await client.StatusAndReasonAsync("/api/private-scoped", Bearer(token)));
        Assert.Equal((HttpStatusCode.Unauthorized, "missing_token"), await client.StatusAndReasonAsync("/api/private", authorization: null)); // no token is the caller's problem whatever our state
        Assert.Equal((HttpStatusCode.OK, null), await client.StatusAndReasonAsync("/api/public", authorization: null));
        Assert.Equal((HttpStatusCode.OK, null), await client.StatusAndReasonAsync("/health/live", authorization: null));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.StatusAndReasonAsync("/health/ready", authorization: null)).Status);

        await api.Issuer.StartAsync();
        await api.RunScheduledRefreshAsync();

        Assert.Equal((HttpStatusCode.OK, null), await client.StatusAndReasonAsync("/health/ready", authorization: null));
        Assert.Equal((HttpStatusCode.OK, null), await client.StatusAndReasonAsync("/api/private", Bearer(token)));
        Assert.Equal((HttpStatusCode.OK, null), await client.StatusAndReasonAsync("/api/private-scoped", Bearer(token)));
        Assert.Equal(1, api.Logs.Count(LogLevel.Warning, "Signing keys could not be obtained"));
        Assert.Equal(5, api.Logs.Count(LogLevel.Debug, "still failing"));
        Assert.Equal(1, api.Logs.Count(LogLevel.Information, "Signing keys obtained after 7 attempt(s)"));
    }

    /// <summary>Our outage, not the caller's token: 503, no challenge, <c>Retry-After</c> in whole seconds, reason <c>keys_unavailable</c>.</summary>
    private static async Task AssertKeysUnavailableAsync(HttpResponseMessage response, TimeSpan retryAfter)
    {
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(retryAfter, response.Headers.RetryAfter?.Delta);
        Assert.False(response.Headers.Contains("WWW-Authenticate"), "An outage is not the caller's bad token: no challenge.");
        Assert.Equal("keys_unavailable", (await response.ReadProblemAsync(Cancel)).StringOf("reason"));
    }
}
