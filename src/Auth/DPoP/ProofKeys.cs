using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Caching.Memory;

namespace Api.Auth.DPoP;

/// <summary>
/// Proof keys once imported, kept for the next proof: a client signs every proof with the same
/// key, and importing a key costs more than verifying with it (a P-256 public key is checked to
/// be a point on the curve: 233 µs against 134 µs for one verification, measured here;
/// bench/RESULTS.md, "DPoP"). Keyed by the public members that define the key, exactly as its
/// <c>jwk</c> spells them (<see cref="JwkText"/>): the same text always decodes to the same key,
/// so a proof can only ever be checked with the very key its own <c>jwk</c> holds, and a proof
/// from a known key is checked with no decoding and no thumbprint hash. A key that fails to
/// import is never kept. Each key lends out instances of its own, one per concurrent
/// verification (an <see cref="AsymmetricAlgorithm"/> instance is not for concurrent use),
/// keeping at most <see cref="IdlePerKey"/> idle. Bounded to <see cref="Capacity"/> keys; a key
/// unused for <see cref="IdleTime"/> is dropped.
/// </summary>
internal sealed class ProofKeys : IDisposable
{
    public const int Capacity = 10_000;

    private static readonly TimeSpan IdleTime = TimeSpan.FromMinutes(10);
    private static readonly int IdlePerKey = Environment.ProcessorCount * 2;

    private readonly MemoryCache entries = new(new MemoryCacheOptions { SizeLimit = Capacity });

    /// <summary>An instance of the kept key <paramref name="jwk"/> spells, if it is kept; disposing the lease gives it back.</summary>
    public bool TryRent(JwkText jwk, out Lease lease)
    {
        if (entries.TryGetValue(jwk, out Instances? instances) && instances is not null)
        {
            lease = new Lease(instances, instances.TryTake() ?? instances.Import());
            return true;
        }

        lease = default;
        return false;
    }

    /// <summary>
    /// Imports the key <paramref name="jwk"/> spells with <paramref name="import"/> (whose
    /// <see cref="CryptographicException"/> reaches the caller, and nothing is kept), keeps it
    /// under its RFC 7638 <paramref name="thumbprint"/>, and lends an instance of it.
    /// </summary>
    public Lease Add(JwkText jwk, string thumbprint, Func<AsymmetricAlgorithm> import)
    {
        var imported = import();
        var instances = new Instances(thumbprint, import);
        var options = new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = IdleTime };
        options.RegisterPostEvictionCallback(static (_, value, _, _) => ((Instances)value!).Drop());
        entries.Set(jwk, instances, options);
        return new Lease(instances, imported);
    }

    public void Dispose() => entries.Dispose();

    /// <summary>
    /// The public members of a <c>jwk</c> that define its key, as sent: an EC key's curve and
    /// coordinates (<c>crv</c>, <c>x</c>, <c>y</c>), or an RSA key's <c>"RSA"</c>, <c>n</c> and <c>e</c>.
    /// </summary>
    public readonly record struct JwkText(string Kind, string First, string Second);

    /// <summary>One instance of a key, for one verification.</summary>
    public readonly struct Lease(Instances owner, AsymmetricAlgorithm key) : IDisposable
    {
        public AsymmetricAlgorithm Key { get; } = key;

        /// <summary>The key's RFC 7638 SHA-256 thumbprint, base64url: what a token's <c>cnf.jkt</c> must equal.</summary>
        public string Thumbprint => owner.Thumbprint;

        public void Dispose() => owner.Return(Key);
    }

    /// <summary>The idle instances of one key.</summary>
    internal sealed class Instances(string thumbprint, Func<AsymmetricAlgorithm> import)
    {
        private readonly ConcurrentBag<AsymmetricAlgorithm> idle = [];
        private int idleCount;
        private volatile bool dropped;

        public string Thumbprint { get; } = thumbprint;

        /// <summary>Another instance of the key, when every kept one is lent out.</summary>
        public AsymmetricAlgorithm Import() => import();

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
