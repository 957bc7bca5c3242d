using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Caching.Memory;

namespace Api.Auth.DPoP;

/// <summary>
/// Proof keys once imported, kept for the next proof: a client signs every proof with the same
/// key, and importing a key costs more than verifying with it (a P-256 public key is checked to
/// be a point on the curve: 233 µs against 134 µs for one verification, measured here;
/// bench/RESULTS.md, "DPoP"). Keyed by the key's RFC 7638 thumbprint, a SHA-256 of exactly the
/// public members that define it, so a proof can only ever be checked with the very key its own
/// <c>jwk</c> holds; a key that fails to import is never kept. Each key lends out instances of
/// its own, one per concurrent verification (an <see cref="AsymmetricAlgorithm"/> instance is not
/// for concurrent use), keeping at most <see cref="IdlePerKey"/> idle. Bounded to
/// <see cref="Capacity"/> keys; a key unused for <see cref="IdleTime"/> is dropped.
/// </summary>
internal sealed class ProofKeys : IDisposable
{
    public const int Capacity = 10_000;

    private static readonly TimeSpan IdleTime = TimeSpan.FromMinutes(10);
    private static readonly int IdlePerKey = Environment.ProcessorCount * 2;

    private readonly MemoryCache entries = new(new MemoryCacheOptions { SizeLimit = Capacity });

    /// <summary>
    /// An instance of the key named <paramref name="thumbprint"/>: a kept one, or one made by
    /// <paramref name="import"/> (whose <see cref="CryptographicException"/> reaches the caller).
    /// Disposing the lease gives it back.
    /// </summary>
    public Lease Rent(string thumbprint, Func<AsymmetricAlgorithm> import)
    {
        if (!entries.TryGetValue(thumbprint, out Instances? instances) || instances is null)
        {
            var imported = import();
            instances = new Instances();
            var options = new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = IdleTime };
            options.RegisterPostEvictionCallback(static (_, value, _, _) => ((Instances)value!).Drop());
            entries.Set(thumbprint, instances, options);
            return new Lease(instances, imported);
        }

        return new Lease(instances, instances.TryTake() ?? import());
    }

    public void Dispose() => entries.Dispose();

    /// <summary>One instance of a key, for one verification.</summary>
    public readonly struct Lease(Instances owner, AsymmetricAlgorithm key) : IDisposable
    {
        public AsymmetricAlgorithm Key { get; } = key;

        public void Dispose() => owner.Return(Key);
    }

    /// <summary>The idle instances of one key.</summary>
    internal sealed class Instances
    {
        private readonly ConcurrentBag<AsymmetricAlgorithm> idle = [];
        private int idleCount;
        private volatile bool dropped;

        public AsymmetricAlgorithm? TryTake()
        {
            if (!idle.TryTake(out var key))
            {
                return null;
            }

            Interlocked.Decrement(ref idleCount);
            return key;
        }

        public void Return(AsymmetricAlgorithm key)
        {
            if (dropped || Interlocked.Increment(ref idleCount) > IdlePerKey)
            {
                if (!dropped)
                {
                    Interlocked.Decrement(ref idleCount);
                }

                key.Dispose();
                return;
            }

            idle.Add(key);
        }

        /// <summary>Out of the cache: idle instances are released now, lent ones when they come back.</summary>
        public void Drop()
        {
            dropped = true;
            while (idle.TryTake(out var key))
            {
                key.Dispose();
            }
        }
    }
}
