// The DPoP client of the load benchmark (RFC 9449): proofs of possession of the key that
// bench/Issuer bound its DPoP token to (Issuer --dpop <prefix>), one fresh proof per request.
//
//   ProofSender make --key <pem> --token <file> --url <url> --count <n> --out <file>
//       writes <n> proofs (one per line) for GET <url>, for wrk (scripts/dpop.lua);
//   ProofSender send --key <pem> --token <file> --url <url> --count <n> [--connections 32]
//       makes <n> proofs, then sends <n> requests, each with a proof of its own, and checks every
//       answer is 200 (the memory run of the replay cache); prints "sent=<n> ok=<n> failed=<n> seconds=<s> rps=<r>";
//   ProofSender check --key <pem> --token <file> --url <url> --seconds <s>
//       the API's own proof check (its DPoPProofValidator, replays in memory, as at a request with
//       a remembered token) on one thread, batch by batch with the micro-benchmark: one bare ES256
//       verification (SHA-256 of the signing input and the ECDSA P-256 check) of the same proofs:
//       what the check adds to its one verification, with no HTTP around it; prints
//       "dpop_check_us=<µs> es256_verify_us=<µs>".
//
// Written by hand rather than with an IdentityModel token handler: a proof is a fixed header and
// five claims, and the tool must make a million of them quickly.
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

var values = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 1; i + 1 < args.Length; i += 2)
{
    values[args[i]] = args[i + 1];
}

const string Usage = "Usage: ProofSender make|send --key <pem> --token <file> --url <url> --count <n> [--out <file>] [--connections 32]"
    + " | check --key <pem> --token <file> --url <url> --seconds <s>";
string Arg(string name, string? fallback = null) => values.TryGetValue(name, out var value) ? value
    : fallback ?? throw new ArgumentException($"Missing {name}. {Usage}");
int Number(string name, string? fallback = null) => int.Parse(Arg(name, fallback), CultureInfo.InvariantCulture);

switch (args.FirstOrDefault())
{
    case "make":
    {
        using var proofs = new Proofs(Arg("--key"), Arg("--token"), Arg("--url"));
        var count = Number("--count");
        var lines = new string[count];
        Parallel.For(0, count, i => lines[i] = proofs.Next());
        var partial = Arg("--out") + ".partial";
        await File.WriteAllLinesAsync(partial, lines).ConfigureAwait(false);
        File.Move(partial, Arg("--out"), overwrite: true);
        return 0;
    }

    case "send":
    {
        using var proofs = new Proofs(Arg("--key"), Arg("--token"), Arg("--url"));
        return await SendAsync(proofs, new Uri(Arg("--url")), Number("--count"), Number("--connections", "32")).ConfigureAwait(false);
    }

    case "check":
    {
        using var proofs = new Proofs(Arg("--key"), Arg("--token"), Arg("--url"));
        var (check, verify) = await ProofCheck.MicrosecondsAsync(proofs, Arg("--url"), TimeSpan.FromSeconds(Number("--seconds"))).ConfigureAwait(false);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dpop_check_us={check:F1} es256_verify_us={verify:F1}"));
        return 0;
    }

    default:
        throw new ArgumentException(Usage);
}

static async Task<int> SendAsync(Proofs proofs, Uri url, int count, int connections)
{
    // Made before the clock starts, on every core, so the rate measured is the server's.
    var made = new string[count];
    Parallel.For(0, count, i => made[i] = proofs.Next());
    var authorization = "DPoP " + proofs.Token;
    return await EachOnce.SendAsync(url, count, connections, (request, index) =>
    {
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        request.Headers.TryAddWithoutValidation("DPoP", made[index]);
    }).ConfigureAwait(false);
}

/// <summary>
/// Fresh proofs for one URL and one bound token: a new jti and the current iat each. Made on many
/// threads at once, each with its own copy of the key (an ECDsa instance is not for concurrent use).
/// </summary>
internal sealed class Proofs : IDisposable
{
    private readonly ThreadLocal<ECDsa> keys;
    private readonly string encodedHeader;
    private readonly string claimsTail;
    private readonly string url;

    public Proofs(string keyPath, string tokenPath, string url)
    {
        var pem = File.ReadAllText(keyPath);
        keys = new ThreadLocal<ECDsa>(trackAllValues: true, valueFactory: () =>
        {
            var key = ECDsa.Create();
            key.ImportFromPem(pem);
            return key;
        });
        Token = File.ReadAllText(tokenPath).Trim();
        this.url = url;
        var point = keys.Value!.ExportParameters(false).Q;
        encodedHeader = Base64Url(Encoding.UTF8.GetBytes(
            $"{{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\",\"jwk\":{{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"{Base64Url(point.X!)}\",\"y\":\"{Base64Url(point.Y!)}\"}}}}"));
        claimsTail = $",\"ath\":\"{Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(Token)))}\"}}";
    }

    public string Token { get; }

    /// <summary>The public key every proof carries, as a verifier imports it.</summary>
    public ECParameters PublicKey => keys.Value!.ExportParameters(false);

    public void Dispose()
    {
        foreach (var key in keys.Values)
        {
            key.Dispose();
        }

        keys.Dispose();
    }

    public string Next()
    {
        var claims = string.Create(CultureInfo.InvariantCulture,
            $"{{\"jti\":\"{Base64Url(RandomNumberGenerator.GetBytes(16))}\",\"htm\":\"GET\",\"htu\":\"{url}\",\"iat\":{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}{claimsTail}");
        var signingInput = encodedHeader + "." + Base64Url(Encoding.UTF8.GetBytes(claims));
        var signature = keys.Value!.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return signingInput + "." + Base64Url(signature);
    }

    private static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
