// Calls the API with a DPoP-bound access token (RFC 9449), against `dotnet run` at the repo root:
//
//   dotnet run --project samples/DPoPClient                                  # GET /api/private-bound
//   dotnet run --project samples/DPoPClient -- http://localhost:5080/ /api/me
//
// Against a real Auth0 tenant, set TOKEN_ENDPOINT (https://<domain>/oauth/token), CLIENT_ID,
// CLIENT_SECRET and AUDIENCE, and enable DPoP for the application in the dashboard.
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Samples.DPoPClient;

var api = new Uri(args.Length > 0 ? args[0] : "http://localhost:5080/");
var path = args.Length > 1 ? args[1] : "/api/private-bound";
var tokenEndpoint = new Uri(Environment.GetEnvironmentVariable("TOKEN_ENDPOINT") ?? new Uri(api, "/oauth/token").AbsoluteUri);

// The client's DPoP key: created once and kept for as long as the token it is bound to.
using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
var proofs = new DPoPProofs(key);
using var http = new HttpClient();

// 1. A token bound to the key: the token request carries a proof for POST <token endpoint>.
using var tokenResponse = await SendAsync(() =>
{
    var request = new HttpRequestMessage(HttpMethod.Post, tokenEndpoint)
    {
        Content = JsonContent.Create(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = Environment.GetEnvironmentVariable("CLIENT_ID") ?? "frontend",
            ["client_secret"] = Environment.GetEnvironmentVariable("CLIENT_SECRET") ?? "frontend-dev-secret",
            ["audience"] = Environment.GetEnvironmentVariable("AUDIENCE") ?? "https://api.example.com",
        }),
    };
    request.Headers.Add("DPoP", proofs.Create(HttpMethod.Post, tokenEndpoint));
    return request;
});
var tokenBody = await tokenResponse.Content.ReadFromJsonAsync<JsonElement>();
if (!tokenResponse.IsSuccessStatusCode)
{
    Console.Error.WriteLine($"Token request refused: {(int)tokenResponse.StatusCode} {tokenBody}");
    return 1;
}

var accessToken = tokenBody.GetProperty("access_token").GetString()!;
Console.WriteLine($"Got a {tokenBody.GetProperty("token_type").GetString()} token from {tokenEndpoint}.");

// 2. The call: "Authorization: DPoP <token>" and a fresh proof naming this request and this token.
var url = new Uri(api, path);
using var response = await SendAsync(() =>
{
    var request = new HttpRequestMessage(HttpMethod.Get, url);
    request.Headers.Authorization = new AuthenticationHeaderValue("DPoP", accessToken);
    request.Headers.Add("DPoP", proofs.Create(HttpMethod.Get, url, accessToken));
    return request;
});
Console.WriteLine($"GET {url} -> {(int)response.StatusCode}");
foreach (var challenge in response.Headers.WwwAuthenticate)
{
    Console.WriteLine($"WWW-Authenticate: {challenge}");
}

Console.WriteLine(await response.Content.ReadAsStringAsync());
return response.IsSuccessStatusCode ? 0 : 1;

// Sends a request made by makeRequest (a proof is good for one request only). A server that
// wants a nonce in proofs (RFC 9449 §8, §9) refuses with use_dpop_nonce and a DPoP-Nonce header:
// the request is then made again, once, with a new proof carrying that nonce.
async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> makeRequest)
{
    for (var attempt = 1; ; attempt++)
    {
        var usedNonce = proofs.Nonce;
        using var request = makeRequest();
        var response = await http.SendAsync(request);
        if (response.Headers.TryGetValues("DPoP-Nonce", out var nonces))
        {
            proofs.Nonce = nonces.First(); // also sent ahead of time, before the current one expires
        }

        var askedForNonce = response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized && proofs.Nonce != usedNonce;
        if (!askedForNonce || attempt == 2)
        {
            return response;
        }

        response.Dispose();
    }
}
