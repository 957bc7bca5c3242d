using Api.Redis;
using StackExchange.Redis;

namespace Api.Auth.DPoP;

/// <summary>
/// The replay cache shared by every instance on the app's Redis (README, "Running several
/// instances"), so a proof used on one instance is refused on all: one key per proof, set only
/// if absent and expiring on Redis' own clock (<c>SET key 1 PX keepFor NX</c>), which is atomic
/// however many instances try at once. While Redis cannot answer, nothing is recorded and the
/// proof is refused with 503: a proof is never accepted unrecorded.
/// </summary>
internal sealed class RedisDPoPReplayCache(RedisConnection redis) : IDPoPReplayCache
{
    private const string KeyPrefix = "dpop:proof:";

    /// <summary>
    /// What <c>Retry-After</c> says while Redis is unreachable: a reconnect after Redis came back
    /// was measured here at 2-3 s.
    /// </summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    /// <summary>Added to the expiry, so a key outlives the instant <c>keepFor</c> itself, whatever Redis' clock rounds.</summary>
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(1);

    public async ValueTask<ProofRecording> TryRecordAsync(string thumbprint, string jti, TimeSpan keepFor, CancellationToken cancellationToken)
    {
        if (!redis.TryGetDatabase(out var database))
        {
            return ProofRecording.Unavailable(RetryAfter);
        }

        try
        {
            var recorded = await database.StringSetAsync($"{KeyPrefix}{thumbprint}:{jti}", 1, keepFor + Margin, When.NotExists).ConfigureAwait(false);
            return recorded ? ProofRecording.Recorded : ProofRecording.Replayed;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return ProofRecording.Unavailable(RetryAfter);
        }
    }
}
