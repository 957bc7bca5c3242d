using System.Net.Http.Json;
using System.Text.Json;

namespace Api.Tests.TestKit;

/// <summary>Reads RFC 9457 problem bodies, which every 4xx/5xx answer of the API carries.</summary>
public static class ProblemJson
{
    public const string MediaType = "application/problem+json";

    /// <summary>
    /// Asserts the response is <c>application/problem+json</c> whose <c>status</c> matches the HTTP
    /// status, and returns the body for further assertions.
    /// </summary>
    public static async Task<JsonElement> ReadProblemAsync(this HttpResponseMessage response, CancellationToken cancellationToken)
    {
        Assert.Equal(MediaType, response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        Assert.Equal(JsonValueKind.Object, body.ValueKind);
        Assert.Equal((int)response.StatusCode, body.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("title").GetString()), "A problem body needs a title.");
        return body;
    }

    /// <summary>A string member of a problem body, or null when it is absent.</summary>
    public static string? StringOf(this JsonElement problem, string name) =>
        problem.TryGetProperty(name, out var value) ? value.GetString() : null;
}
