using Api.Auth.DPoP;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Api.Tests.Auth.DPoP;

/// <summary>
/// The in-memory replay cache (RFC 9449 §11.1): each (key thumbprint, jti) is recorded once and
/// remembered at least as long as asked; at its bound it refuses new proofs rather than forget
/// one that could still be replayed.
/// </summary>
public sealed class ReplayCacheTests
{
    private const string Thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
    private static readonly TimeSpan KeepFor = TimeSpan.FromSeconds(330);

    private readonly FakeTimeProvider clock = new(DateTimeOffset.FromUnixTimeSeconds(1_900_000_000));

    [Fact]
    public async Task A_proof_is_recorded_once_then_reported_as_replayed_through_the_whole_time_asked()
    {
        var cache = Cache();

        var first = await RecordAsync(cache, "jti-1");
        var again = await RecordAsync(cache, "jti-1");
        clock.Advance(KeepFor);
        var atTheLastInstant = await RecordAsync(cache, "jti-1");
        clock.Advance(TimeSpan.FromTicks(1));
        var afterwards = await RecordAsync(cache, "jti-1");

        Assert.Equal(ProofRecordingOutcome.Recorded, first.Outcome);
        Assert.Equal(ProofRecordingOutcome.Replayed, again.Outcome);
        Assert.Equal(ProofRecordingOutcome.Replayed, atTheLastInstant.Outcome);
        Assert.Equal(ProofRecordingOutcome.Recorded, afterwards.Outcome);
    }

    [Fact]
    public async Task The_same_jti_under_another_key_is_another_entry()
    {
        var cache = Cache();

        await RecordAsync(cache, "jti-1");
        var otherKey = await cache.TryRecordAsync("another-thumbprint-of-43-characters-xxxxxxx", "jti-1", KeepFor, TestContext.Current.CancellationToken);

        Assert.Equal(ProofRecordingOutcome.Recorded, otherKey.Outcome);
    }

    [Fact]
    public async Task When_full_of_live_entries_it_refuses_new_ones_until_the_oldest_expires_and_forgets_none()
    {
        var cache = Cache(capacity: 2);
        await RecordAsync(cache, "jti-1");
        clock.Advance(TimeSpan.FromSeconds(10));
        await RecordAsync(cache, "jti-2");

        var full = await RecordAsync(cache, "jti-3");
        var stillReplayed = await RecordAsync(cache, "jti-1");
        clock.Advance(full.RetryAfter);
        var afterOldestExpired = await RecordAsync(cache, "jti-3");
        var secondStillReplayed = await RecordAsync(cache, "jti-2");

        Assert.Equal(ProofRecordingOutcome.StoreFull, full.Outcome);
        Assert.Equal(KeepFor - TimeSpan.FromSeconds(10), full.RetryAfter - TimeSpan.FromTicks(1));
        Assert.Equal(ProofRecordingOutcome.Replayed, stillReplayed.Outcome);
        Assert.Equal(ProofRecordingOutcome.Recorded, afterOldestExpired.Outcome);
        Assert.Equal(ProofRecordingOutcome.Replayed, secondStillReplayed.Outcome);
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public async Task Expired_entries_make_room_so_a_steady_load_within_the_bound_is_never_refused()
    {
        var cache = Cache(capacity: 10);

        // 100 proofs, one every KeepFor / 10: never more than 10 live at once.
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(ProofRecordingOutcome.Recorded, (await RecordAsync(cache, $"jti-{i}")).Outcome);
            clock.Advance(KeepFor / 10 + TimeSpan.FromTicks(1));
        }

        Assert.InRange(cache.Count, 1, 10);
    }

    [Fact]
    public async Task Of_many_concurrent_uses_of_one_proof_exactly_one_is_recorded()
    {
        var cache = Cache();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(() => RecordAsync(cache, "jti-1"), TestContext.Current.CancellationToken)));

        Assert.Single(outcomes, o => o.Outcome == ProofRecordingOutcome.Recorded);
        Assert.Equal(63, outcomes.Count(o => o.Outcome == ProofRecordingOutcome.Replayed));
    }

    private InMemoryDPoPReplayCache Cache(int capacity = 1000) =>
        new(Options.Create(new DPoPOptions { ReplayCacheSize = capacity }), clock);

    private static async Task<ProofRecording> RecordAsync(InMemoryDPoPReplayCache cache, string jti) =>
        await cache.TryRecordAsync(Thumbprint, jti, KeepFor, TestContext.Current.CancellationToken);
}
