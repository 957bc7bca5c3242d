using System.Diagnostics;
using System.Globalization;
using System.Net;

/// <summary>
/// The memory runs' way of sending: <c>count</c> requests, each exactly once, over
/// <c>connections</c> keep-alive connections, every answer checked to be 200 (wrk cannot send each
/// token or proof once: it always runs for its full duration). Shared by bench/TokenSender and
/// bench/ProofSender.
/// </summary>
internal static class EachOnce
{
    /// <summary>
    /// Sends request <c>i</c> as <paramref name="prepare"/> makes it, for every <c>i</c> below
    /// <paramref name="count"/>; prints "sent=&lt;n&gt; ok=&lt;n&gt; failed=&lt;n&gt; seconds=&lt;s&gt; rps=&lt;r&gt;" and
    /// returns the exit code: 1 if any answer was not 200.
    /// </summary>
    public static async Task<int> SendAsync(Uri url, int count, int connections, Action<HttpRequestMessage, int> prepare)
    {
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
            while ((index = Interlocked.Increment(ref next)) < count)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                prepare(request, index);
                using var response = await client.SendAsync(request).ConfigureAwait(false);
                await response.Content.CopyToAsync(Stream.Null).ConfigureAwait(false);
                Interlocked.Increment(ref response.StatusCode == HttpStatusCode.OK ? ref ok : ref failed);
            }
        }))).ConfigureAwait(false);
        clock.Stop();

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sent={count} ok={ok} failed={failed} seconds={clock.Elapsed.TotalSeconds:F2} rps={count / clock.Elapsed.TotalSeconds:F0}"));
        return failed == 0 ? 0 : 1;
    }
}
