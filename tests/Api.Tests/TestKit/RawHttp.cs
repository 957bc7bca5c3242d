using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Api.Tests.TestKit;

/// <summary>
/// Requests HttpClient cannot send: two <c>Authorization</c> lines (it folds them into one), a
/// NUL in the request target, a space before a header's colon. The request is written to the
/// API's loopback port byte for byte (Latin-1, so any byte can be written) and the answer read
/// back whole: status line, header lines in order, body.
/// </summary>
public static class RawHttp
{
    /// <summary>How long a raw exchange may take before the test fails instead of hanging.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// <c>GET <paramref name="target"/> HTTP/1.1</c> with <paramref name="headerLines"/> as written,
    /// plus the <c>Host</c> HTTP/1.1 requires and <c>Connection: close</c>.
    /// </summary>
    public static string Get(string target, params string[] headerLines) =>
        $"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{string.Concat(headerLines.Select(h => h + "\r\n"))}Connection: close\r\n\r\n";

    /// <summary>Sends <paramref name="request"/> exactly as given to <paramref name="api"/> and reads its answer.</summary>
    public static async Task<RawResponse> SendRawAsync(this ApiFactory api, string request)
    {
        using var client = api.CreateClient();
        return await SendAsync(client.BaseAddress!.Port, request);
    }

    /// <summary>
    /// Sends <paramref name="request"/> to 127.0.0.1:<paramref name="port"/> and reads one answer,
    /// framed by <c>Content-Length</c>, chunked encoding, or the server closing the connection.
    /// </summary>
    public static async Task<RawResponse> SendAsync(int port, string request)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(Timeout);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request), timeout.Token);

        try
        {
            using var reader = new Reader(stream);
            return await reader.ReadResponseAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"No whole answer within {Timeout} to:\n{request[..Math.Min(request.Length, 300)]}");
        }
    }

    /// <summary>Reads an HTTP/1.x response from a stream, buffering what it has read ahead.</summary>
    private sealed class Reader(Stream stream) : IDisposable
    {
        private readonly byte[] buffer = new byte[16 * 1024];
        private readonly MemoryStream pending = new();

        public void Dispose() => pending.Dispose();

        public async Task<RawResponse> ReadResponseAsync(CancellationToken cancel)
        {
            var head = Encoding.Latin1.GetString(await ReadUntilAsync("\r\n\r\n"u8.ToArray(), cancel) ?? throw new IOException("The connection closed before a whole status line and headers."));
            var lines = head[..^4].Split("\r\n");
            var headers = lines.Skip(1)
                .Select(line => line.Split(':', 2))
                .Select(parts => KeyValuePair.Create(parts[0], parts.Length > 1 ? parts[1].Trim() : string.Empty))
                .ToList();
            var response = new RawResponse(lines[0], headers, string.Empty);

            byte[] body;
            if (response.Header("Transfer-Encoding") is { } encoding && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            {
                body = await ReadChunkedAsync(cancel);
            }
            else if (response.Header("Content-Length") is { } length)
            {
                body = await ReadExactlyAsync(int.Parse(length, CultureInfo.InvariantCulture), cancel);
            }
            else
            {
                body = await ReadToEndAsync(cancel);
            }

            return response with { Body = Encoding.UTF8.GetString(body) };
        }

        private async Task<byte[]> ReadChunkedAsync(CancellationToken cancel)
        {
            using var body = new MemoryStream();
            while (true)
            {
                var sizeLine = Encoding.Latin1.GetString(await ReadUntilAsync("\r\n"u8.ToArray(), cancel) ?? throw new IOException("The connection closed inside a chunked body."));
                var size = int.Parse(sizeLine.Split(';')[0].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    await ReadUntilAsync("\r\n"u8.ToArray(), cancel); // no trailers are expected: just the final CRLF
                    return body.ToArray();
                }

                body.Write(await ReadExactlyAsync(size, cancel));
                await ReadExactlyAsync(2, cancel);
            }
        }

        /// <summary>Everything up to and including <paramref name="delimiter"/>; null if the connection closed first.</summary>
        private async Task<byte[]?> ReadUntilAsync(byte[] delimiter, CancellationToken cancel)
        {
            while (true)
            {
                var at = pending.GetBuffer().AsSpan(0, (int)pending.Length).IndexOf(delimiter);
                if (at >= 0)
                {
                    return Take(at + delimiter.Length);
                }

                if (!await FillAsync(cancel))
                {
                    return null;
                }
            }
        }

        private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancel)
        {
            while (pending.Length < count)
            {
                if (!await FillAsync(cancel))
                {
                    throw new IOException($"The connection closed {count - pending.Length} bytes short of the body.");
                }
            }

            return Take(count);
        }

        private async Task<byte[]> ReadToEndAsync(CancellationToken cancel)
        {
            while (await FillAsync(cancel))
            {
            }

            return Take((int)pending.Length);
        }

        private async Task<bool> FillAsync(CancellationToken cancel)
        {
            var read = await stream.ReadAsync(buffer, cancel);
            pending.Write(buffer, 0, read);
            return read > 0;
        }

        private byte[] Take(int count)
        {
            var all = pending.ToArray();
            pending.SetLength(0);
            pending.Write(all, count, all.Length - count);
            return all[..count];
        }
    }
}

/// <summary>One HTTP/1.x answer as it came off the wire.</summary>
public sealed record RawResponse(string StatusLine, IReadOnlyList<KeyValuePair<string, string>> Headers, string Body)
{
    public HttpStatusCode Status => (HttpStatusCode)int.Parse(StatusLine.Split(' ')[1], CultureInfo.InvariantCulture);

    /// <summary>The value of the first header named <paramref name="name"/>, or null.</summary>
    public string? Header(string name) =>
        Headers.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>
    /// The same answer as an <see cref="HttpResponseMessage"/>, so the assertions written for
    /// HttpClient's answers (<see cref="WwwAuthenticate"/>, <see cref="ProblemJson"/>) read it too.
    /// </summary>
    public HttpResponseMessage ToResponseMessage()
    {
        var response = new HttpResponseMessage(Status) { Content = new StringContent(Body) };
        response.Content.Headers.Clear();
        foreach (var (name, value) in Headers)
        {
            if (!name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && !response.Headers.TryAddWithoutValidation(name, value))
            {
                response.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return response;
    }
}
