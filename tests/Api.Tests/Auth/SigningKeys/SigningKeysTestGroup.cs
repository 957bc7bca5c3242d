using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Api.Tests.Auth.SigningKeys;

/// <summary>
/// These tests break their own issuer and measure time and request counts, so they run one at a
/// time and apart from the rest of the suite (on 2 cores a parallel build or test skews timers).
/// </summary>
[CollectionDefinition(nameof(SigningKeysTestGroup), DisableParallelization = true)]
public sealed class SigningKeysTestGroup;

/// <summary>Settings and checks shared by the signing-key tests.</summary>
internal static class Keys
{
    public static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>
    /// The key settings a test runs with, plus debug logs from the key cache so repeated attempts
    /// are visible to <c>ApiFactory.Logs</c>. The timeout stays at its 5 s default unless a test is
    /// about it: on a busy machine the first fetch (cold JIT) can take longer than a short one.
    /// </summary>
    public static Dictionary<string, string?> Settings(
        TimeSpan? cooldown = null, TimeSpan? interval = null, TimeSpan? timeout = null) => new()
    {
        ["Auth0:KeyRefreshCooldown"] = Format(cooldown ?? TimeSpan.FromSeconds(30)),
        ["Auth0:KeyRefreshInterval"] = Format(interval ?? TimeSpan.FromHours(1)),
        ["Auth0:MetadataTimeout"] = Format(timeout ?? TimeSpan.FromSeconds(5)),
        ["Logging:LogLevel:Api.Auth.SigningKeys"] = "Debug",
    };

    /// <summary>Status and the problem body's <c>reason</c> (null for a 200).</summary>
    public static async Task<(HttpStatusCode Status, string? Reason)> GetAsync(HttpClient client, string path, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Authorization = new("Bearer", token);
        }

        using var response = await client.SendAsync(request, Cancel);
        if (response.IsSuccessStatusCode)
        {
            return (response.StatusCode, null);
        }

        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        return (response.StatusCode, body.TryGetProperty("reason", out var reason) ? reason.GetString() : null);
    }

    /// <summary>Polls <paramref name="check"/> until it holds; fails after <paramref name="within"/>.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> check, TimeSpan within, string what)
    {
        var deadline = DateTime.UtcNow + within;
        while (!await check())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Not within {within}: {what}");
            await Task.Delay(50, Cancel);
        }
    }

    private static string Format(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);
}
