using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Api.Tests.TestKit;

namespace Api.Tests.Auth.DevIssuer;

/// <summary>The API started as <c>dotnet run</c> starts it: Development, no Auth0 tenant, so the dev issuer is on.</summary>
public sealed class DevIssuerFixture : IAsyncLifetime
{
    public const string Audience = "https://api.example.com";

    public string KeyDirectory { get; } = Directory.CreateTempSubdirectory("dev-issuer-").FullName;

    public string KeyPath => Path.Combine(KeyDirectory, "signing-key.pem");

    public ApiProcess Api { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Api = StartApi(KeyPath);
        await Api.WaitUntilReadyAsync();
    }

    /// <summary>The API in Development with its dev issuer keeping its key at <paramref name="keyPath"/>, plus <paramref name="environment"/>.</summary>
    public static ApiProcess StartApi(string keyPath, int? port = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var variables = new Dictionary<string, string?>(environment ?? new Dictionary<string, string?>())
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["DevIssuer__KeyPath"] = keyPath,
        };
        return ApiProcess.Start(variables, port);
    }

    public async ValueTask DisposeAsync()
    {
        await Api.DisposeAsync();
        Directory.Delete(KeyDirectory, recursive: true);
    }
}

/// <summary>Client-credentials requests as Auth0's documentation shows them.</summary>
public static class TokenRequests
{
    public static HttpRequestMessage Json(object body) =>
        new(HttpMethod.Post, "/oauth/token") { Content = JsonContent.Create(body) };

    public static HttpRequestMessage Form(params (string Name, string Value)[] fields) =>
        new(HttpMethod.Post, "/oauth/token")
        {
            Content = new FormUrlEncodedContent(fields.Select(f => KeyValuePair.Create(f.Name, f.Value))),
        };

    public static HttpRequestMessage Basic(string clientId, string secret, params (string Name, string Value)[] fields)
    {
        var request = Form(fields);
        request.Headers.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(secret)}")));
        return request;
    }

    public static HttpRequestMessage ClientCredentials(string clientId, string secret) => Json(new
    {
        grant_type = "client_credentials",
        client_id = clientId,
        client_secret = secret,
        audience = DevIssuerFixture.Audience,
    });

    /// <summary>Gets a token the way a client does; fails the test if the dev issuer refuses.</summary>
    public static async Task<string> GetTokenAsync(HttpClient client, string clientId, string secret)
    {
        using var response = await client.SendAsync(ClientCredentials(clientId, secret));
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.GetProperty("access_token").GetString()!;
    }
}
