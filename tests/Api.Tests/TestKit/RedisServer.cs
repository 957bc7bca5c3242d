using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Api.Tests.TestKit;

/// <summary>
/// A private <c>redis-server</c> (Debian's package, installed by .ci/install) on a free 127.0.0.1
/// port, persisting nothing: for what only a real Redis shows. Tests stop it (by its PID, as a
/// crash would) and start it again on the same port to play an outage; it starts empty again.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    public const string Executable = "/usr/bin/redis-server";

    private Process? process;

    private RedisServer(int port) => Port = port;

    public int Port { get; }

    /// <summary>The API's <c>ConnectionStrings:Redis</c> for this server.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>
    /// Starts a server and waits until it answers. Skips the test when this machine has no
    /// redis-server; on CI (CI=true) fails instead: .ci/install must have put it in place.
    /// </summary>
    public static async Task<RedisServer> StartAsync()
    {
        if (!File.Exists(Executable))
        {
            const string reason = $"{Executable} is not installed: apt-get install -y redis-server (.ci/install does).";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail(reason);
            }

            Assert.Skip(reason);
        }

        var server = new RedisServer(ApiProcess.FreeLoopbackPort());
        await server.ServeAsync();
        return server;
    }

    /// <summary>Starts serving again after <see cref="StopAsync"/>: on the same port, empty.</summary>
    public Task StartAgainAsync() => ServeAsync();

    /// <summary>Kills the server by its PID: connections to the port are refused until it starts again.</summary>
    public async Task StopAsync()
    {
        if (process is { } running)
        {
            process = null;
            if (!running.HasExited)
            {
                running.Kill();
                await running.WaitForExitAsync();
            }

            running.Dispose();
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    /// <summary>Starts serving on <see cref="Port"/> and returns once it answers PING.</summary>
    private async Task ServeAsync()
    {
        var start = new ProcessStartInfo(Executable)
        {
            ArgumentList =
            {
                "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--loglevel", "warning",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        process = Process.Start(start) ?? throw new InvalidOperationException($"{Executable} did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var running = process;
        await Eventually.HoldsAsync(
            async () => running.HasExited
                ? throw new InvalidOperationException($"redis-server exited with code {running.ExitCode} (port {Port} taken?).")
                : await AnswersPingAsync(TestContext.Current.CancellationToken),
            $"redis-server answered PING on port {Port}");
    }

    private async Task<bool> AnswersPingAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
            await socket.SendAsync("PING\r\n"u8.ToArray(), SocketFlags.None, timeout.Token);
            var answer = new byte[7];
            var read = await socket.ReceiveAsync(answer, SocketFlags.None, timeout.Token);
            return Encoding.ASCII.GetString(answer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false; // not listening yet
        }
    }
}
