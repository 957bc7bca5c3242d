using System.Net;
using System.Net.Http.Headers;

namespace Api.Tests.TestKit;

/// <summary>
/// The one way tests send an <c>Authorization</c> header: exactly as written, byte for byte.
/// HttpClient's typed header (<see cref="AuthenticationHeaderValue"/>) would parse and re-format
/// it, and refuse the malformed values (<c>Bearer a b</c>, a lone <c>Bearer</c>) the API must be
/// seen to refuse itself. Two header lines cannot be sent this way at all: HttpClient folds them
/// into one; <see cref="RawHttp"/> sends those.
/// </summary>
public static class AuthorizationHeader
{
    /// <summary>The header value a client sends for <paramref name="token"/> (RFC 6750 §2.1).</summary>
    public static string Bearer(string token) => $"Bearer {token}";

    /// <summary>Adds <c>Authorization: <paramref name="authorization"/></c>, unvalidated; null adds nothing.</summary>
    public static void Add(HttpRequestHeaders headers, string? authorization)
    {
        if (authorization is not null)
        {
            Assert.True(headers.TryAddWithoutValidation("Authorization", authorization), $"HttpClient would not carry: {authorization}");
        }
    }

    /// <summary>
    /// <c>GET <paramref name="path"/></c> with <c>Authorization: <paramref name="authorization"/></c>
    /// exactly as given (null: no header at all).
    /// </summary>
    public static async Task<HttpResponseMessage> GetWithAuthorizationAsync(
        this HttpClient client, string path, string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        Add(request.Headers, authorization);
        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary><c>GET <paramref name="path"/></c> with <c>Authorization: Bearer <paramref name="token"/></c>.</summary>
    public static Task<HttpResponseMessage> GetWithBearerAsync(this HttpClient client, string path, string token) =>
        client.GetWithAuthorizationAsync(path, Bearer(token));

    /// <summary>The same, on a client of its own for <paramref name="api"/>.</summary>
    public static async Task<HttpResponseMessage> GetWithAuthorizationAsync(
        this ApiFactory api, string path, string? authorization)
    {
        using var client = api.CreateClient();
        return await client.GetWithAuthorizationAsync(path, authorization);
    }

    /// <summary>
    /// What the API decided: the status and, for a refusal, the <c>reason</c> of its problem body
    /// (asserted to be RFC 9457 problem+json, as every refusal must be).
    /// </summary>
    public static async Task<(HttpStatusCode Status, string? Reason)> StatusAndReasonAsync(
        this HttpClient client, string path, string? authorization)
    {
        using var response = await client.GetWithAuthorizationAsync(path, authorization);
        return response.IsSuccessStatusCode
            ? (response.StatusCode, null)
            : (response.StatusCode, (await response.ReadProblemAsync(TestContext.Current.CancellationToken)).StringOf("reason"));
    }

    /// <summary>The same, on a client of its own for <paramref name="api"/>.</summary>
    public static async Task<(HttpStatusCode Status, string? Reason)> StatusAndReasonAsync(
        this ApiFactory api, string path, string? authorization)
    {
        using var client = api.CreateClient();
        return await client.StatusAndReasonAsync(path, authorization);
    }
}
