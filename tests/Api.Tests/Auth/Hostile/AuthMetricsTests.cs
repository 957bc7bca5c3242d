using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using Api.Auth;
using Api.Tests.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Api.Tests.Auth.Hostile;

/// <summary>
/// The <c>Api.Auth</c> meter as <c>dotnet-counters</c> or an OTLP collector sees it: token
/// validations by result and reason, key refreshes by outcome. Each test starts its own API and
/// keeps only that API's measurements (other tests' APIs record on meters of the same name in this
/// process at the same time).
/// </summary>
public sealed class AuthMetricsTests
{
    [Fact]
    public async Task Token_validations_are_counted_by_result_and_reason()
    {
        using var recorder = new MeterRecorder(AuthMetrics.MeterName);
        await using var api = await ApiFactory.StartWithOwnIssuerAsync();
        var tokens = api.Tokens;
        var reused = tokens.Create();

        await api.StatusAndReasonAsync("/api/private", $"Bearer {reused}");
        await api.StatusAndReasonAsync("/api/private", $"Bearer {reused}"); // the second one comes from the validated-token cache
        await api.StatusAndReasonAsync("/api/private-scoped", $"Bearer {tokens.Create()}"); // valid, but 403: still an accepted token
        await api.StatusAndReasonAsync("/api/private", $"Bearer {tokens.Create(t => t.ExpiresAt(DateTimeOffset.UtcNow.AddMinutes(-5)))}");
        await api.StatusAndReasonAsync("/api/public", $"Bearer {tokens.Create(t => t.ExpiresAt(DateTimeOffset.UtcNow.AddMinutes(-5)))}");
        await api.StatusAndReasonAsync("/api/private", $"Bearer {tokens.Create(t => t.Claim("aud", "https://other.example.test"))}");
        await api.StatusAndReasonAsync("/api/private", $"Bearer {tokens.Create(t => t.HeaderClaim("alg", "none"))}");
        await api.StatusAndReasonAsync("/api/private", $"Bearer {Tampered(tokens.Create())}");
        await api.StatusAndReasonAsync("/api/private", "Bearer a b");
        await api.StatusAndReasonAsync("/api/private", authorization: null); // no token: nothing was validated

        var validations = recorder.Of(api).Where(m => m.Instrument == "api.auth.token_validations").ToList();
        Assert.Equal(
            new Dictionary<string, long>
            {
                ["accepted/valid"] = 3,
                ["refused/expired"] = 2,
                ["refused/bad_audience"] = 1,
                ["refused/alg_not_allowed"] = 1,
                ["refused/bad_signature"] = 1,
                ["refused/malformed_header"] = 1,
            },
            validations.GroupBy(m => $"{m.Tags["result"]}/{m.Tags["reason"]}").ToDictionary(g => g.Key, g => g.Sum(m => m.Value)));
    }

    [Fact]
    public async Task Key_refreshes_are_counted_by_outcome_success_at_start_and_failure_while_the_issuer_is_down()
    {
        using var recorder = new MeterRecorder(AuthMetrics.MeterName);
        await using var api = await ApiFactory.StartWithOwnIssuerAsync();

        Assert.True(Refreshes(recorder, api, "success") >= 1, "The keys fetched at start-up are a successful refresh.");
        Assert.Equal(0, Refreshes(recorder, api, "failure"));

        await api.Issuer.StopAsync();
        // A kid the API has never seen makes it refresh the keys at once; the issuer is down.
        var (status, reason) = await api.StatusAndReasonAsync("/api/private", $"Bearer {api.Tokens.Create(t => t.HeaderClaim("kid", "rotated-in"))}");

        Assert.Equal((HttpStatusCode.Unauthorized, "unknown_kid"), (status, reason));
        Assert.Equal(1, Refreshes(recorder, api, "failure"));
        Assert.Equal(
            [("refused", "unknown_kid")],
            recorder.Of(api).Where(m => m.Instrument == "api.auth.token_validations").Select(m => (m.Tags["result"], m.Tags["reason"])));
    }

    [Fact]
    public async Task Metrics_count_the_same_reason_the_caller_and_the_log_are_given()
    {
        using var recorder = new MeterRecorder(AuthMetrics.MeterName);
        await using var api = await ApiFactory.StartWithOwnIssuerAsync();

        var idToken = await api.StatusAndReasonAsync("/api/private", $"Bearer {api.Tokens.Create(t => t.Claim("aud", "spa-client-id").Claim("nonce", "n-0S6").Without("gty"))}");
        var fiveParts = await api.StatusAndReasonAsync("/api/private", "Bearer a.b.c.d.e");

        Assert.Equal([idToken.Reason, fiveParts.Reason], recorder.Of(api).Where(m => m.Instrument == "api.auth.token_validations").Select(m => m.Tags["reason"]));
    }

    private static long Refreshes(MeterRecorder recorder, ApiFactory api, string outcome) =>
        recorder.Of(api).Where(m => m.Instrument == "api.auth.key_refreshes" && m.Tags["outcome"] == outcome).Sum(m => m.Value);

    private static string Tampered(string token)
    {
        var parts = token.Split('.');
        parts[2] = parts[2][..^4] + (parts[2].EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");
        return string.Join('.', parts);
    }
}
