// The memory run's client: sends each of <count> tokens (lines offset+1 .. offset+count of the
// token file) exactly once, over <connections> keep-alive connections, and checks every answer
// is 200. wrk cannot do "each once": it always runs for its full duration.
//
//   TokenSender --url <url> --tokens <file> --count <n> [--offset <k>] [--connections 32]
//
// Prints one line "sent=<n> ok=<n> failed=<n> seconds=<s> rps=<r>"; exits 1 if any answer was not 200.
using System.Diagnostics;
using System.Globalization;
using System.Net;

var values = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 0; i + 1 < args.Length; i += 2)
{
    values[args[i]] = args[i + 1];
}

string Arg(string name, string? fallback = null) => values.TryGetValue(name, out var value) ? value
    : fallback ?? throw new ArgumentException($"Missing {name}. Usage: TokenSender --url <url> --tokens <file> --count <n> [--offset <k>] [--connections 32]");

var url = new Uri(Arg("--url"));
var count = int.Parse(Arg("--count"), CultureInfo.InvariantCulture);
var offset = int.Parse(Arg("--offset", "0"), CultureInfo.InvariantCulture);
var connections = int.Parse(Arg("--connections", "32"), CultureInfo.InvariantCulture);
var tokens = File.ReadLines(Arg("--tokens")).Skip(offset).Take(count).ToArray();
if (tokens.Length < count)
{
    throw new InvalidOperationException($"The token file holds {tokens.Length} tokens after line {offset}; {count} needed.");
}

using var client = new HttpClient(new SocketsHttpHandler
{
    MaxConnectionsPerServer = connections,
    PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
    UseProxy = false,
})
{
    Timeout = TimeSpan.FromSeconds(30),
};

var next = -1;
var ok = 0;
var failed = 0;
var clock = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
{
    int index;
    while ((index = Interlocked.Increment(ref next)) < tokens.Length)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + tokens[index]);
        using var response = await client.SendAsync(request).ConfigureAwait(false);
        await response.Content.CopyToAsync(Stream.Null).ConfigureAwait(false);
        Interlocked.Increment(ref response.StatusCode == HttpStatusCode.OK ? ref ok : ref failed);
    }
}))).ConfigureAwait(false);
clock.Stop();

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"sent={tokens.Length} ok={ok} failed={failed} seconds={clock.Elapsed.TotalSeconds:F2} rps={tokens.Length / clock.Elapsed.TotalSeconds:F0}"));
return failed == 0 ? 0 : 1;
