// The memory run's client: sends each of <count> tokens (lines offset+1 .. offset+count of the
// token file) exactly once, over <connections> keep-alive connections, and checks every answer
// is 200. wrk cannot do "each once": it always runs for its full duration.
//
//   TokenSender --url <url> --tokens <file> --count <n> [--offset <k>] [--connections 32]
//
// Prints one line "sent=<n> ok=<n> failed=<n> seconds=<s> rps=<r>"; exits 1 if any answer was not 200.
using System.Globalization;

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

return await EachOnce.SendAsync(url, count, connections,
    (request, index) => request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + tokens[index])).ConfigureAwait(false);
