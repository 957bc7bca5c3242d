namespace Api.Auth.SigningKeys;

/// <summary>
/// One issuer's signing keys, held in memory: the only owner of the keys, of the one fetch that
/// may be running (every caller that needs keys meanwhile joins it), of the cooldown between
/// fetches asked for by unknown <c>kid</c>s, and of the outage record its log lines are made from.
/// When to fetch on a schedule is <see cref="SigningKeysRefresher"/>'s business.
/// <para>
/// IdentityModel's <c>ConfigurationManager</c> (8.19) is not used: it fetches on the first request
/// and, while it holds nothing, lets every request make its own fetch, so an outage at start-up
/// multiplies into a flood to the issuer; its <c>RequestRefresh</c> only lets a later request see
/// a rotated key, so the first one fails; and it cannot say "no keys yet", so an outage would be
/// answered as a bad token. Kept from it: a failed fetch never replaces the last known good keys.
/// </para>
/// </summary>
internal sealed partial class SigningKeyStore(
    TrustedIssuer issuer,
    IssuerMetadataClient metadata,
    TimeSpan unknownKeyCooldown,
    TimeProvider time,
    AuthMetrics metrics,
    ILogger<SigningKeyStore> logger)
{
    // Guards the fetch state below, so that "the fetch finished" and "its keys are current" are one
    // step for any request looking at them. `current` is written under it but volatile, so the
    // read on every request takes no lock.
    private readonly Lock sync = new();
    private volatile IssuerKeySet? current;
    private Task<IssuerKeySet?>? inflight;
    private bool attempted;
    private DateTimeOffset lastUnknownKeyRefresh = DateTimeOffset.MinValue;
    private DateTimeOffset cooldownReportedAt = DateTimeOffset.MinValue;
    private Outage? outage;

    public TrustedIssuer Issuer { get; } = issuer;

    /// <summary>The keys tokens are checked against now; null until a fetch has succeeded, then kept through any failure.</summary>
    public IssuerKeySet? Current => current;

    /// <summary>Fetches now, or joins the fetch already running. Null when it failed.</summary>
    public Task<IssuerKeySet?> RefreshAsync()
    {
        lock (sync)
        {
            return inflight ??= Start();
        }
    }

    /// <summary>
    /// The keys for a request that carries a token: those held, else those of the fetch under way
    /// (the start-up fetch, usually: a request that arrives a moment after a restart waits for it
    /// rather than being told to come back), else null: there is nothing to wait for, or it failed.
    /// </summary>
    public Task<IssuerKeySet?> KeysForRequestAsync()
    {
        lock (sync)
        {
            if (current is { } held)
            {
                return Task.FromResult<IssuerKeySet?>(held);
            }

            return inflight ?? (attempted ? Task.FromResult<IssuerKeySet?>(null) : inflight = Start());
        }
    }

    /// <summary>
    /// A token named <paramref name="keyId"/>, which the keys it was checked against lack. If the
    /// keys held now have it (another request's fetch brought it meanwhile) they are returned
    /// without a fetch; otherwise this joins the running fetch, or starts one at most once per
    /// <c>Auth0:KeyRefreshCooldown</c> however many such tokens arrive. Returns the keys to check
    /// again with, or null if no fetch was allowed or it failed.
    /// </summary>
    public async Task<IssuerKeySet?> RefreshForUnknownKeyAsync(string keyId)
    {
        Task<IssuerKeySet?> fetch;
        lock (sync)
        {
            if (current is { } held && held.Holds(keyId))
            {
                return held;
            }

            if (inflight is null)
            {
                var now = time.GetUtcNow();
                if (now - lastUnknownKeyRefresh < unknownKeyCooldown)
                {
                    if (cooldownReportedAt < lastUnknownKeyRefresh)
                    {
                        cooldownReportedAt = now;
                        LogCooldown(logger, Issuer.Issuer, lastUnknownKeyRefresh + unknownKeyCooldown);
                    }

                    return null;
                }

                lastUnknownKeyRefresh = now;
                inflight = Start();
            }

            fetch = inflight;
        }

        return await fetch.ConfigureAwait(false);
    }

    /// <summary>Whether the keys are held, and if not, what the last fetch said.</summary>
    public (bool HasKeys, string? Failure) State
    {
        get
        {
            lock (sync)
            {
                return (current is not null, outage?.LastReason);
            }
        }
    }

    private Task<IssuerKeySet?> Start()
    {
        attempted = true;
        return Task.Run(FetchAndStoreAsync);
    }

    private async Task<IssuerKeySet?> FetchAndStoreAsync()
    {
        IssuerKeySet? fetched = null;
        KeyFetchException? failure = null;
        try
        {
            fetched = await metadata.FetchAsync(Issuer, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever went wrong, the store carries on with its last known good keys: a fetch
            // that threw out of here would leave every later caller waiting on a failed task.
            failure = e as KeyFetchException ?? new KeyFetchException(KeyFetchFailure.Unexpected, e.Message, e);
        }

        metrics.KeyRefresh(Issuer.Issuer, succeeded: fetched is not null);

        // Only this fetch can change the state until it clears `inflight`, so it can be read,
        // reported, then published: a request that sees the new keys finds the line already written.
        IssuerKeySet? previous;
        Outage? before;
        lock (sync)
        {
            previous = current;
            before = outage;
        }

        var after = fetched is null ? before?.Add(failure!) ?? Outage.Begin(time.GetUtcNow(), failure!) : null;
        if (fetched is not null)
        {
            ReportSuccess(previous, fetched, before);
        }
        else
        {
            ReportFailure(previous, before, after!, failure!);
        }

        lock (sync)
        {
            current = fetched ?? current;
            outage = after;
            inflight = null;
        }

        return fetched;
    }

    /// <summary>An outage: when it began, how often and in which ways the fetch failed since.</summary>
    private sealed record Outage(DateTimeOffset Since, int Attempts, KeyFetchFailure LastKind, string LastReason, IReadOnlyList<KeyFetchFailure> Kinds)
    {
        public static Outage Begin(DateTimeOffset at, KeyFetchException failure) =>
            new(at, 1, failure.Kind, failure.Message, [failure.Kind]);

        public Outage Add(KeyFetchException failure) => this with
        {
            Attempts = Attempts + 1,
            LastKind = failure.Kind,
            LastReason = failure.Message,
            Kinds = Kinds.Contains(failure.Kind) ? Kinds : [.. Kinds, failure.Kind],
        };

        public string Describe() => string.Join(", ", Kinds);
    }
}
