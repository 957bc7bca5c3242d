// A loopback OpenID Connect issuer for the load benchmark: Kestrel on 127.0.0.1 serving a
// discovery document and a JWKS (what the API and the baseline fetch from Auth0), plus a file of
// distinct valid access tokens signed with its key, so wrk can send them.
//
//   Issuer --audience <aud> --tokens <file> --count <n> --ready <file> [--port <p>] [--dpop <prefix>]
//
// With --dpop, also a P-256 key pair of a DPoP client (<prefix>.key.pem, PKCS#8) and one access
// token bound to it (<prefix>.token: cnf.jkt, RFC 9449 §6.1), for bench/ProofSender to make proofs.
//
// The ready file receives the issuer's port once the token file is complete; the script waits
// for it. The key lives only in memory: tokens are valid for this process's life.
using System.Globalization;
using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

var options = IssuerArguments.Parse(args);

using var rsa = RSA.Create(2048);
var key = new RsaSecurityKey(rsa) { KeyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)) };
var publicJwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(false)) { KeyId = key.KeyId });

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, options.Port));
var app = builder.Build();

string? issuer = null;
app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
{
    ["issuer"] = issuer!,
    ["jwks_uri"] = $"{issuer}.well-known/jwks.json",
    ["id_token_signing_alg_values_supported"] = new[] { SecurityAlgorithms.RsaSha256 },
}));
app.MapGet("/.well-known/jwks.json", () => Results.Json(new
{
    keys = new[]
    {
        new Dictionary<string, string>
        {
            ["kty"] = "RSA", ["use"] = "sig", ["alg"] = SecurityAlgorithms.RsaSha256,
            ["kid"] = key.KeyId, ["n"] = publicJwk.N, ["e"] = publicJwk.E,
        },
    },
}));

await app.StartAsync().ConfigureAwait(false);
var port = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
    .Addresses.Select(a => new Uri(a).Port).First();
issuer = $"http://127.0.0.1:{port}/";

var started = DateTimeOffset.UtcNow;
await WriteTokensAsync(options, issuer, key).ConfigureAwait(false);
if (options.DPoPPrefix is { } dpopPrefix)
{
    await WriteBoundTokenAsync(options, dpopPrefix, issuer, key).ConfigureAwait(false);
}

await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
    $"issuer {issuer}: {options.Count} tokens in {(DateTimeOffset.UtcNow - started).TotalSeconds:F1} s -> {options.TokensPath}")).ConfigureAwait(false);
await File.WriteAllTextAsync(options.ReadyPath, port.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);

await app.WaitForShutdownAsync().ConfigureAwait(false);

// Auth0-shaped user access tokens (RBAC "permissions" array), each with its own sub, so no two
// are equal; long-lived so a slow run never sees one expire.
static async Task WriteTokensAsync(IssuerArguments options, string issuer, SecurityKey key)
{
    var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
    var credentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256);
    var now = DateTimeOffset.UtcNow;
    var tokens = new string[options.Count];
    Parallel.For(0, options.Count, i => tokens[i] = handler.CreateToken(new SecurityTokenDescriptor
    {
        Claims = Claims(issuer, options.Audience, string.Create(CultureInfo.InvariantCulture, $"auth0|bench-user-{i:D6}"), now),
        SigningCredentials = credentials,
    }));

    var partial = options.TokensPath + ".partial";
    await File.WriteAllLinesAsync(partial, tokens).ConfigureAwait(false);
    File.Move(partial, options.TokensPath, overwrite: true);
}

// The claims of every bench token: an Auth0 user access token with the RBAC "permissions" array.
static Dictionary<string, object> Claims(string issuer, string audience, string subject, DateTimeOffset now)
{
    string[] permissions = ["read:messages"];
    return new()
    {
        ["iss"] = issuer,
        ["sub"] = subject,
        ["aud"] = audience,
        ["iat"] = now.ToUnixTimeSeconds(),
        ["exp"] = now.AddDays(7).ToUnixTimeSeconds(),
        ["azp"] = "bench-frontend",
        ["scope"] = "openid profile",
        ["permissions"] = permissions,
    };
}

// A DPoP client's key and an access token bound to it by the key's JWK SHA-256 thumbprint
// (RFC 7638: the required members, in lexicographic order, no whitespace).
static async Task WriteBoundTokenAsync(IssuerArguments options, string prefix, string issuer, SecurityKey key)
{
    using var client = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    var point = client.ExportParameters(false).Q;
    var thumbprint = Base64UrlEncoder.Encode(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
        $"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{Base64UrlEncoder.Encode(point.X)}\",\"y\":\"{Base64UrlEncoder.Encode(point.Y)}\"}}")));
    var claims = Claims(issuer, options.Audience, "auth0|bench-dpop-user", DateTimeOffset.UtcNow);
    claims["cnf"] = new Dictionary<string, object> { ["jkt"] = thumbprint };
    var token = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
    {
        Claims = claims,
        SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
    });
    await File.WriteAllTextAsync(prefix + ".key.pem", client.ExportPkcs8PrivateKeyPem()).ConfigureAwait(false);
    await File.WriteAllTextAsync(prefix + ".token", token).ConfigureAwait(false);
}

internal sealed record IssuerArguments(string Audience, string TokensPath, int Count, string ReadyPath, int Port, string? DPoPPrefix)
{
    public static IssuerArguments Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i]] = args[i + 1];
        }

        string Required(string name) => values.TryGetValue(name, out var value)
            ? value
            : throw new ArgumentException($"Missing {name}. Usage: Issuer --audience <aud> --tokens <file> --count <n> --ready <file> [--port <p>] [--dpop <prefix>]");

        return new(
            Required("--audience"),
            Required("--tokens"),
            int.Parse(Required("--count"), CultureInfo.InvariantCulture),
            Required("--ready"),
            values.TryGetValue("--port", out var port) ? int.Parse(port, CultureInfo.InvariantCulture) : 0,
            values.GetValueOrDefault("--dpop"));
    }
}
