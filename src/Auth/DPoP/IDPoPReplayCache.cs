namespace Api.Auth.DPoP;

/// <summary>
/// Remembers which proofs were used, so each is accepted once (RFC 9449 §11.1): keyed on the
/// proof key's thumbprint and the proof's <c>jti</c>, for as long as the proof could still be
/// accepted. The in-memory cache serves one instance; a shared store (Redis:
/// <c>SET key value PX keepFor NX</c>, StackExchange.Redis' <c>StringSetAsync(key, value, expiry,
/// When.NotExists)</c>) makes a proof used on one instance refused on every other.
/// </summary>
internal interface IDPoPReplayCache
{
    /// <summary>
    /// Records the proof (<paramref name="thumbprint"/>, <paramref name="jti"/>) as used, to be
    /// remembered for at least <paramref name="keepFor"/> (through the instant <paramref name="keepFor"/>
    /// after now, included). Atomic: of any number of concurrent
    /// calls with the same pair, on any instance sharing the store, exactly one is
    /// <see cref="ProofRecording.Recorded"/>. A store that cannot answer returns
    /// <see cref="ProofRecordingOutcome.StoreUnavailable"/> rather than throwing, and never
    /// <see cref="ProofRecording.Recorded"/> for a proof it did not record.
    /// </summary>
    ValueTask<ProofRecording> TryRecordAsync(string thumbprint, string jti, TimeSpan keepFor, CancellationToken cancellationToken);
}

internal enum ProofRecordingOutcome
{
    /// <summary>First use: the proof may be accepted.</summary>
    Recorded,

    /// <summary>The proof was recorded before: a replay.</summary>
    Replayed,

    /// <summary>The store could not be reached or did not answer: whether this is a replay is unknown.</summary>
    StoreUnavailable,

    /// <summary>The store is full of proofs that may still be replayed; it records new ones once some expire.</summary>
    StoreFull,
}

/// <summary>What became of one attempt to record a proof; <see cref="RetryAfter"/> when it could not be recorded.</summary>
internal readonly record struct ProofRecording(ProofRecordingOutcome Outcome, TimeSpan RetryAfter = default)
{
    public static ProofRecording Recorded => new(ProofRecordingOutcome.Recorded);

    public static ProofRecording Replayed => new(ProofRecordingOutcome.Replayed);

    public static ProofRecording Unavailable(TimeSpan retryAfter) => new(ProofRecordingOutcome.StoreUnavailable, retryAfter);

    public static ProofRecording Full(TimeSpan retryAfter) => new(ProofRecordingOutcome.StoreFull, retryAfter);
}
