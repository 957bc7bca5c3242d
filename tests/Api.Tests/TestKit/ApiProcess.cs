using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Api.Tests.TestKit;

/// <summary>
/// The API as a user runs it: <c>dotnet Api.dll</c> in its own process on a loopback port, with
/// the environment variables a test gives it. For what only a real process shows: the
/// Development dev issuer, restarts, exit codes and console output.
/// </summary>
public sealed class ApiProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private ApiProcess(Process process, int port)
    {
        this.process = process;
        Port = port;
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
    }

    public int Port { get; }

    public Uri BaseAddress { get; }

    /// <summary>Everything the process wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public bool HasExited => process.HasExited;

    public int ExitCode => process.ExitCode;

    /// <summary>
    /// Starts the API on <paramref name="port"/> (a free one if null), in
    /// <paramref name="workingDirectory"/> (the test output folder, with its appsettings files, if
    /// null). The child inherits no ASP.NET Core or Auth0 setting from the test run: only
    /// <paramref name="environment"/>, whose null values remove a variable.
    /// </summary>
    public static ApiProcess Start(IReadOnlyDictionary<string, string?> environment, int? port = null, string? workingDirectory = null)
    {
        port ??= FreeLoopbackPort();
        var start = new ProcessStartInfo(DotnetHost())
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Api.dll"), "--urls", $"http://127.0.0.1:{port}" },
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var inherited in start.Environment.Keys.Where(IsApiSetting).ToList())
        {
            start.Environment.Remove(inherited);
        }

        start.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (name, value) in environment)
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        var api = new ApiProcess(new Process { StartInfo = start }, port.Value);
        api.process.OutputDataReceived += (_, e) => api.Append(e.Data);
        api.process.ErrorDataReceived += (_, e) => api.Append(e.Data);
        api.process.Start();
        api.process.BeginOutputReadLine();
        api.process.BeginErrorReadLine();
        return api;
    }

    /// <summary>
    /// Waits until <c>/health/ready</c> answers 200, failing with the process output if the process
    /// exits first or <paramref name="timeout"/> (a guard against waiting forever) passes.
    /// </summary>
    public async Task WaitUntilReadyAsync(TimeSpan? timeout = null)
    {
        using var client = CreateClient();
        await Eventually.HoldsAsync(
            async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"The API process exited with code {process.ExitCode} before it was ready. Output:\n{Output}");
                }

                try
                {
                    using var response = await client.GetAsync("/health/ready", TestContext.Current.CancellationToken);
                    return response.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false; // not listening yet
                }
            },
            "the API process became ready",
            timeout,
            () => $"Output:\n{Output}");
    }

    /// <summary>Waits for the process to end by itself (at most <paramref name="timeout"/>).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cancel.Token);
        return process.ExitCode;
    }

    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private static bool IsApiSetting(string name) =>
        name is "AUTH0_DOMAIN" or "AUTH0_AUDIENCE" or "DOTNET_ENVIRONMENT"
        || name.StartsWith("Auth0__", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("DevIssuer__", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("RateLimits__", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase);

    /// <summary>The dotnet host running these tests, so the API runs on the same runtime.</summary>
    private static string DotnetHost()
    {
        var root = Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var host = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(host) ? host : "dotnet";
    }

    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }
}
