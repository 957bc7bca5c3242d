using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Api.Auth.DPoP;

/// <summary>
/// The replay cache of a single instance. It is bounded by <see cref="DPoPOptions.ReplayCacheSize"/>
/// and, at the bound, never forgets a proof that could still be accepted: expired entries are
/// dropped first, and if every entry is still live the new proof is refused as
/// <see cref="ProofRecordingOutcome.StoreFull"/> (503 with <c>Retry-After</c>: when the oldest
/// entry expires) instead of evicting one, which would let that proof be replayed.
/// <para>
/// Each entry is a 128-bit SHA-256 prefix of (thumbprint, jti) with its expiry, about 75 bytes
/// (measured) whatever the <c>jti</c>'s length. A collision of two prefixes could only refuse a
/// fresh proof as replayed, never accept a replay.
/// </para>
/// </summary>
internal sealed class InMemoryDPoPReplayCache(IOptions<DPoPOptions> options, TimeProvider time) : IDPoPReplayCache
{
    private readonly int capacity = options.Value.ReplayCacheSize;
    private readonly Lock sync = new();

    /// <summary>
    /// Expiries in UTC ticks by key. Two <see cref="ulong"/>s rather than a <see cref="UInt128"/>,
    /// and ticks rather than <see cref="DateTimeOffset"/>: that alignment and size made entries
    /// 104 bytes instead of 74.
    /// </summary>
    private readonly Dictionary<(ulong, ulong), long> expiries = [];

    /// <summary>
    /// Entries in the order they were recorded. With one <c>keepFor</c> for all, that is also the
    /// order they expire in, so expired ones are always at the front; were <c>keepFor</c> to vary,
    /// an entry is still only ever dropped once it has expired.
    /// </summary>
    private readonly Queue<((ulong, ulong) Key, long Expiry)> order = new();

    public int Count
    {
        get
        {
            lock (sync)
            {
                return expiries.Count;
            }
        }
    }

    public ValueTask<ProofRecording> TryRecordAsync(string thumbprint, string jti, TimeSpan keepFor, CancellationToken cancellationToken)
    {
        var key = KeyOf(thumbprint, jti);
        lock (sync)
        {
            var now = time.GetUtcNow().UtcTicks;
            DropExpired(now);
            if (expiries.TryGetValue(key, out var expiry) && expiry >= now)
            {
                return ValueTask.FromResult(ProofRecording.Replayed);
            }

            if (expiries.Count >= capacity)
            {
                // The oldest entry is dropped just after the instant it expires.
                return ValueTask.FromResult(ProofRecording.Full(TimeSpan.FromTicks(order.Peek().Expiry - now + 1)));
            }

            expiry = now + keepFor.Ticks;
            expiries[key] = expiry;
            order.Enqueue((key, expiry));
            return ValueTask.FromResult(ProofRecording.Recorded);
        }
    }

    private void DropExpired(long now)
    {
        // An entry is live through its expiry instant itself: a proof is acceptable through the
        // very instant its iat + ProofMaxAge, which keepFor reaches at the earliest.
        while (order.TryPeek(out var oldest) && oldest.Expiry < now)
        {
            order.Dequeue();
            // The key may have been recorded again after it expired: only its own entry goes.
            if (expiries.TryGetValue(oldest.Key, out var expiry) && expiry == oldest.Expiry)
            {
                expiries.Remove(oldest.Key);
            }
        }
    }

    private static (ulong, ulong) KeyOf(string thumbprint, string jti)
    {
        // The thumbprint is fixed-length base64url, so "thumbprint jti" cannot be split two ways.
        // On the stack: the validator lets no jti longer than DPoPProofValidator.MaxJtiLength through.
        var maxLength = Encoding.UTF8.GetMaxByteCount(thumbprint.Length + 1 + jti.Length);
        Span<byte> text = maxLength <= 1024 ? stackalloc byte[1024] : new byte[maxLength];
        var length = Encoding.UTF8.GetBytes(thumbprint, text);
        text[length++] = (byte)' ';
        length += Encoding.UTF8.GetBytes(jti, text[length..]);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(text[..length], hash);
        return (BinaryPrimitives.ReadUInt64LittleEndian(hash), BinaryPrimitives.ReadUInt64LittleEndian(hash[8..]));
    }
}
