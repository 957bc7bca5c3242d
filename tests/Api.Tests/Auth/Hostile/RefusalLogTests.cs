using Api.Auth;
using System.Net;
using System.Text.Json;
using Api.Tests.TestKit;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace Api.Tests.Auth.Hostile;

/// <summary>
/// What the API's owner reads about refused requests: one structured line per refusal with a
/// stable reason code, the client (<c>azp</c>) and <c>kid</c> when the token lets them be read,
/// and never a token, at any log level.
/// </summary>
public sealed class RefusalLogTests(HostileWorld world) : IClassFixture<HostileWorld>
{
    public static TheoryData<string> CorpusCases => ForgedTokenCorpusTests.CaseNames;

    /// <summary>What Auth0 returns without an audience (a token for /userinfo): short, so any quote of a line holds all of it.</summary>
    private const string Opaque = "Zq3w9vLx8Hk2mN4pR7sT1uV6yB0cD5eF";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(CorpusCases))]
    public async Task Each_refused_forged_token_is_logged_once_with_its_reason_client_and_kid(string @case)
    {
        var token = ForgedTokenCorpusTests.Cases[@case].Mint(world);
        world.Api.Clock!.Advance(RefusalLog.Window); // a minute of its own: more cases share a reason than a minute logs in full

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
