using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Api.Redis;

/// <summary>
/// The app's one connection to Redis, shared by everything that keeps state across instances
/// (StackExchange.Redis: one multiplexer per process, long-lived), when
/// <c>ConnectionStrings:Redis</c> is set. A hosted service, so it starts connecting as the host
/// starts rather than at first use; nothing ever waits for it to connect.
/// </summary>
internal sealed class RedisConnection : IHostedService, IAsyncDisposable
{
    private readonly Task<ConnectionMultiplexer>? connecting;

    public RedisConnection(IOptions<RedisOptions> options)
    {
        // In the background: with Redis down, the first attempt was measured here taking from
        // 0.1 s to 10 s (twice connectTimeout) before the multiplexer is handed back.
        connecting = options.Value.IsConfigured ? ConnectAsync(options.Value) : null;
    }

    /// <summary>Whether <c>ConnectionStrings:Redis</c> is set, in the final configuration.</summary>
    public bool IsConfigured => connecting is not null;

    /// <summary>The first connection attempt is still under way.</summary>
    public bool IsConnecting => connecting is { IsCompleted: false };

    /// <summary>
    /// The database, once the first connection attempt is over; false until then. After it, while
    /// Redis is down, commands fail at once and the multiplexer reconnects in the background.
    /// </summary>
    public bool TryGetDatabase([NotNullWhen(true)] out IDatabase? database)
    {
        database = connecting is { IsCompletedSuccessfully: true } ? connecting.Result.GetDatabase() : null;
        return database is not null;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Closes the connection, or, if the first attempt is still under way, closes it when that ends.</summary>
    public ValueTask DisposeAsync()
    {
        if (connecting is { IsCompletedSuccessfully: true })
        {
            return connecting.Result.DisposeAsync();
        }

        connecting?.ContinueWith(c => c.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        return ValueTask.CompletedTask;
    }

    private static Task<ConnectionMultiplexer> ConnectAsync(RedisOptions redis)
    {
        var configuration = ConfigurationOptions.Parse(redis.ConnectionString!);
        // Start, and keep running, while Redis is unreachable: each user decides what an outage
        // means to it (rate limits let requests through; a replay cache refuses them).
        configuration.AbortOnConnectFail = false;
        // While disconnected a command fails at once instead of waiting in a backlog for the
        // connection to come back: no request waits on a Redis outage (measured here: under 1 ms
        // to fail, against the 5 s asyncTimeout a queued command would wait).
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        return ConnectionMultiplexer.ConnectAsync(configuration);
    }
}
