using System.Net;
using System.Text.Json;
using Api.Auth;
using Api.Tests.TestKit;

namespace Api.Tests.Auth.Hostile;

/// <summary>Reading a refusal, and the log line it caused, as every hostile test does.</summary>
internal static class Refusals
{
    public static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>
    /// 401 with <c>Bearer error="invalid_token"</c> and a description, and the same in an
    /// RFC 9457 body; the body is the refusal's, never what an endpoint answers.
    /// </summary>
    public static async Task<JsonElement> AssertInvalidTokenAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = WwwAuthenticate.From(response);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Equal("invalid_token", challenge.Error);
        Assert.False(string.IsNullOrWhiteSpace(challenge.ErrorDescription), $"No error_description in: {challenge.Raw}");

        var problem = await response.ReadProblemAsync(Cancel);
        Assert.Equal("invalid_token", problem.StringOf("error"));
        Assert.Equal(challenge.ErrorDescription, problem.StringOf("detail"));
        AssertNoEndpointAnswered(problem);
        return problem;
    }

    /// <summary>The API's "Request refused ..." lines so far, oldest first.</summary>
    public static IReadOnlyList<LogLine> RefusalLines(this ApiFactory api) =>
        [.. api.Logs.All.Where(l => l.Category == typeof(RefusalLog).FullName && l.Message.StartsWith("Request refused", StringComparison.Ordinal))];

    /// <summary>
    /// Sends one request and returns its answer with the refusal lines it caused. The line is
    /// written before the answer, so it is there once the answer is; the caller's test class must
    /// not send requests to <paramref name="api"/> concurrently (a class's tests run one by one).
    /// </summary>
    public static async Task<(HttpResponseMessage Response, IReadOnlyList<LogLine> Logged)> SendAndLogAsync(
        this ApiFactory api, string route, string? authorization)
    {
        var before = api.RefusalLines().Count;
        var response = await api.GetWithAuthorizationAsync(route, authorization);
        return (response, [.. api.RefusalLines().Skip(before)]);
    }

    /// <summary>/api/me would have answered its subject and /api/private its message: neither may show.</summary>
    public static void AssertNoEndpointAnswered(JsonElement body)
    {
        Assert.False(body.TryGetProperty("subject", out _), $"An endpoint answered: {body}");
        Assert.False(body.TryGetProperty("message", out _), $"An endpoint answered: {body}");
    }
}
