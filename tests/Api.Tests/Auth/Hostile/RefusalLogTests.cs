using System.Net;
using System.Text.Json;
using Api.Auth;
using Api.Tests.TestKit;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace Api.Tests.Auth.Hostile;

/// <summary>
/// What the API's owner reads about refused requests: one structured line per refusal with a
/// stable reason code, the client (<c>azp</c>) and <c>kid</c> when the token lets them be read,
/// and never a token, at any log level; under a flood, the first lines of each reason in a
/// minute and then one summary line (README, "Why was my token refused?").
/// </summary>
public sealed class RefusalLogTests(HostileWorld world) : IClassFixture<HostileWorld>
{
    public static TheoryData<string> CorpusCases => ForgedTokenCorpusTests.CaseNames;

    /// <summary>What Auth0 returns without an audience (a token for /userinfo): short, so any quote of a line holds all of it.</summary>
    private const string Opaque = "Zq3w9vLx8Hk2mN4pR7sT1uV6yB0cD5eF";

    /// <summary>What README promises: the first 10 refusals of each reason in a minute are written in full.</summary>
    private const int FullLines = 10;

    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(CorpusCases))]
    public async Task Each_refused_forged_token_is_logged_once_with_its_reason_client_and_kid(string @case)
    {
        var token = ForgedTokenCorpusTests.Cases[@case].Mint(world);
        world.Api.Clock!.Advance(RefusalLog.Window); // a minute of its own: 12 cases share alg_not_allowed, whose first 10 alone are written

        var (response, logged) = await world.Api.SendAndLogAsync("/api/private", $"Bearer {token}");
        using (response)
        {
            var reason = (await response.ReadProblemAsync(Cancel)).StringOf("reason");
            var line = Assert.Single(logged);
            Assert.Equal(LogLevel.Information, line.Level);
            Assert.Equal(401, line["Status"]);
            Assert.Equal(reason, line["Reason"]);
            var (keyId, clientId) = ReadableHeaderAndPayload(token);
            Assert.Equal(keyId, line["KeyId"]);
            Assert.Equal(clientId, line["ClientId"]);
        }
    }

    [Fact]
    public async Task A_request_without_a_token_to_a_protected_endpoint_is_logged_once_as_missing_token()
    {
        var (response, logged) = await world.Api.SendAndLogAsync("/api/private", authorization: null);
        using (response)
        {
            var line = Assert.Single(logged);
            Assert.Equal((401, "missing_token"), (line["Status"], line["Reason"]));
            Assert.Null(line["ClientId"]);
            Assert.Null(line["KeyId"]);
        }
    }

    [Fact]
    public async Task A_malformed_Authorization_header_is_logged_once_as_malformed_header_without_the_token()
    {
        var token = world.Tokens.Create();

        var (response, logged) = await world.Api.SendAndLogAsync("/api/private", $"Bearer {token} {token}");
        using (response)
        {
            var line = Assert.Single(logged);
            Assert.Equal((400, "malformed_header"), (line["Status"], line["Reason"]));
            Assert.Null(line["ClientId"]);
            Assert.DoesNotContain(token.Split('.')[2], line.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_valid_token_without_the_permission_is_logged_once_as_insufficient_permission_with_client_and_kid()
    {
        var token = world.Tokens.Create(t => t.Claim("azp", "partner").Permissions("write:messages"));

        var (response, logged) = await world.Api.SendAndLogAsync("/api/private-scoped", $"Bearer {token}");
        using (response)
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            var line = Assert.Single(logged);
            Assert.Equal((403, "insufficient_permission"), (line["Status"], line["Reason"]));
            Assert.Equal("partner", line["ClientId"]);
            Assert.Equal(world.Issuer.SigningKey.KeyId, line["KeyId"]);
            Assert.Equal("This endpoint needs the permission 'read:messages'.", line["Description"]);
        }
    }

    [Fact]
    public async Task Accepted_tokens_and_anonymous_endpoints_log_no_refusal()
    {
        var (ok, logged) = await world.Api.SendAndLogAsync("/api/private-scoped", $"Bearer {world.Tokens.WithPermissions("read:messages")}");
        var (forgedOnPublic, loggedOnPublic) = await world.Api.SendAndLogAsync("/api/public", $"Bearer {world.Tokens.Create(t => t.HeaderClaim("alg", "none"))}");
        using (ok)
        using (forgedOnPublic)
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Empty(logged);
            Assert.Equal(HttpStatusCode.OK, forgedOnPublic.StatusCode);
            Assert.Empty(loggedOnPublic);
        }
    }

    [Fact]
    public async Task A_token_sent_before_the_keys_were_ever_obtained_is_logged_once_as_keys_unavailable()
    {
        await using var api = await ApiFactory.StartWithUnreachableIssuerAsync();

        var (response, logged) = await api.SendAndLogAsync("/api/private", $"Bearer {api.Tokens.Create()}");
        using (response)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            var line = Assert.Single(logged);
            Assert.Equal((503, "keys_unavailable"), (line["Status"], line["Reason"]));
            Assert.Equal("test-client", line["ClientId"]);
        }
    }

    [Fact]
    public async Task Under_a_flood_of_one_reason_the_first_10_refusals_are_logged_in_full_then_one_summary_line_when_the_minute_ends()
    {
        using var recorder = new MeterRecorder(AuthMetrics.MeterName);
        var clock = ApiFactory.ClockStartingNow();
        await using var api = await ApiFactory.StartWithOwnIssuerAsync(clock: clock);
        using var client = api.CreateClient();
        var forged = AuthorizationHeader.Bearer(api.Tokens.Create(t => t.Claim("aud", "https://other.example.test")));

        var flood = await RefuseAsync(client, Enumerable.Repeat(forged, 50));
        Assert.All(flood, answer => Assert.Equal((HttpStatusCode.Unauthorized, "bad_audience"), answer));
        Assert.Equal(FullLines, api.RefusalLines().Count);

        // One tick before the minute ends it is still the same minute: nothing more is written.
        clock.Advance(Minute - TimeSpan.FromTicks(1));
        await RefuseAsync(client, Enumerable.Repeat(forged, 5));
        Assert.Equal(FullLines, api.RefusalLines().Count);
        Assert.Empty(SummaryLines(api));

        clock.Advance(TimeSpan.FromTicks(1));
        await Eventually.HoldsAsync(() => SummaryLines(api).Count > 0, "the minute's summary line was written");
        var summary = Assert.Single(SummaryLines(api));
        Assert.Equal((45, "bad_audience", Minute), (summary["Count"], summary["Reason"], summary["Period"]));

        // A new minute, a new budget: the next refusal is written in full again.
        await RefuseAsync(client, [forged]);
        Assert.Equal(FullLines + 1, api.RefusalLines().Count);
        Assert.All(api.RefusalLines(), line => Assert.Equal("bad_audience", line["Reason"]));
        Assert.Equal(56, RefusalsCounted(recorder, api, "bad_audience")); // the metric counts every one
    }

    [Fact]
    public async Task Each_refusal_reason_has_its_own_budget_of_full_lines_and_its_own_summary()
    {
        using var recorder = new MeterRecorder(AuthMetrics.MeterName);
        var clock = ApiFactory.ClockStartingNow();
        await using var api = await ApiFactory.StartWithOwnIssuerAsync(clock: clock);
        using var client = api.CreateClient();
        var wrongAudience = AuthorizationHeader.Bearer(api.Tokens.Create(t => t.Claim("aud", "https://other.example.test")));
        var expired = AuthorizationHeader.Bearer(api.Tokens.Create(t => t.ExpiresAt(DateTimeOffset.UtcNow.AddMinutes(-5))));

        // 25 of one reason and 12 of another, all at once.
        await RefuseAsync(client, Enumerable.Repeat(wrongAudience, 25).Concat(Enumerable.Repeat(expired, 12)));
        var lines = api.RefusalLines();
        Assert.Equal(FullLines, lines.Count(l => Equals(l["Reason"], "bad_audience")));
        Assert.Equal(FullLines, lines.Count(l => Equals(l["Reason"], "expired")));
        Assert.Equal(2 * FullLines, lines.Count);

        clock.Advance(Minute);
        await Eventually.HoldsAsync(() => SummaryLines(api).Count >= 2, "both reasons' summary lines were written");
        Assert.Equal(
            new Dictionary<object, object?> { ["bad_audience"] = 15, ["expired"] = 2 },
            SummaryLines(api).ToDictionary(l => l["Reason"]!, l => l["Count"]));
        Assert.Equal(25, RefusalsCounted(recorder, api, "bad_audience"));
        Assert.Equal(12, RefusalsCounted(recorder, api, "expired"));
    }

    [Fact]
    public async Task With_every_category_at_Trace_no_log_line_or_scope_holds_a_token_or_a_part_of_one()
    {
        await using var api = await ApiFactory.StartAsync(world.Issuer, new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore.Server.Kestrel"] = "Trace",
            ["Logging:Console:LogLevel:Default"] = "None",
        });

        var valid = api.Tokens.WithPermissions("read:messages");
        var forged = ForgedTokenCorpusTests.Cases.Values.Select(c => c.Mint(world)).ToList();
        string[] routes = ["/api/private", "/api/private-scoped", "/api/me", "/api/public", "/api/does-not-exist"];
        using var client = api.CreateClient();
        foreach (var token in forged.Prepend(valid))
        {
            foreach (var route in routes)
            {
                await SendAsync(client, route, $"Bearer {token}");
            }

            await SendAsync(client, $"/api/private?access_token={token}", authorization: null);
            await SendAsync(client, $"/api/public?access_token={token}&state=x", authorization: null);
        }

        // The same token in both places, in a broken header, in a request Kestrel refuses as too
        // large, and in a request line and a header Kestrel refuses as invalid (it may quote them).
        await SendAsync(client, $"/api/private?access_token={valid}", $"Bearer {valid}");
        await SendAsync(client, "/api/private", $"Bearer {valid} {valid}");
        var huge = api.Tokens.Create(t => t.Claim("padding", new string('A', 100 * 1024)));
        await SendAsync(client, "/api/private", $"Bearer {huge}");
        var badTarget = await api.SendRawAsync(RawHttp.Get($"/api/private?access_token={valid}\u0000"));
        Assert.StartsWith("HTTP/1.1 400", badTarget.StatusLine, StringComparison.Ordinal);
        var badHeader = await api.SendRawAsync(RawHttp.Get("/api/private", $"Authorization : Bearer {Opaque}"));
        Assert.StartsWith("HTTP/1.1 400", badHeader.StatusLine, StringComparison.Ordinal);

        // The log really was at Trace and saw the requests, or finding nothing would prove nothing.
        var lines = api.Logs.All;
        Assert.Contains(lines, l => l.Level == LogLevel.Trace && l.Category.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Level == LogLevel.Debug && l.Category.StartsWith("Microsoft.AspNetCore.Authentication", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Message.Contains("Request refused with 401 (alg_not_allowed)", StringComparison.Ordinal));

        var secrets = forged.Append(valid).Append(huge).Append(Opaque)
            .SelectMany(t => t.Split('.').Append(t))
            .Where(s => s.Length >= 16)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var written = lines.Select(l => (Where: $"{l.Level} {l.Category}: {l.Message}", Text: l + string.Join(' ', l.Values?.Values ?? [])))
            .Concat(api.Logs.Scopes.Select(s => (Where: $"scope {s}", Text: s)))
            .ToList();
        var leaks = written.Where(w => secrets.Any(s => w.Text.Contains(s, StringComparison.Ordinal)))
            .Select(w => w.Where.Length > 200 ? w.Where[..200] : w.Where).Distinct().ToList();
        Assert.True(leaks.Count == 0, $"Token parts were logged, {leaks.Count} times; the first:\n{string.Join('\n', leaks.Take(5))}");
    }

    /// <summary>The lines that stand for refusals not written one by one.</summary>
    private static IReadOnlyList<LogLine> SummaryLines(ApiFactory api) =>
        [.. api.Logs.All.Where(l => l.Category == typeof(RefusalLog).FullName && l.Message.Contains("were not logged one by one", StringComparison.Ordinal))];

    /// <summary>Sends one request per Authorization header, all at once, to a protected endpoint.</summary>
    private static Task<(HttpStatusCode Status, string? Reason)[]> RefuseAsync(HttpClient client, IEnumerable<string> authorizations) =>
        Task.WhenAll(authorizations.Select(authorization => client.StatusAndReasonAsync("/api/private", authorization)));

    private static long RefusalsCounted(MeterRecorder recorder, ApiFactory api, string reason) =>
        recorder.Of(api)
            .Where(m => m.Instrument == "api.auth.token_validations" && m.Tags["result"] == "refused" && m.Tags["reason"] == reason)
            .Sum(m => m.Value);

    /// <summary>kid and azp when the token has a JSON header and payload to read them from, else nulls.</summary>
    private static (string? KeyId, string? ClientId) ReadableHeaderAndPayload(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return (null, null);
        }

        try
        {
            using var header = JsonDocument.Parse(Base64UrlEncoder.Decode(parts[0]));
            using var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(parts[1]));
            return (StringOf(header, "kid"), StringOf(payload, "azp"));
        }
        catch (Exception e) when (e is FormatException or ArgumentException or JsonException)
        {
            return (null, null);
        }

        static string? StringOf(JsonDocument document, string name) =>
            document.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    private static async Task SendAsync(HttpClient client, string route, string? authorization)
    {
        using var response = await client.GetWithAuthorizationAsync(route, authorization);
        Assert.True((int)response.StatusCode < 500, $"{route} answered {(int)response.StatusCode}");
    }
}
