using System.Threading.RateLimiting;

namespace Api.Web.RateLimits;

/// <summary>
/// ASP.NET Core's rate limiting middleware's global limiter: each request spends one request of
/// its <see cref="CallerPartitions">caller's</see> budget in the <see cref="IWindowCounters"/>.
/// </summary>
internal sealed class CallerRateLimiter(CallerPartitions partitions, IWindowCounters counters, RateLimitMetrics metrics)
    : PartitionedRateLimiter<HttpContext>
{
    public override RateLimiterStatistics? GetStatistics(HttpContext resource) => null;

    /// <summary>
    /// Decides when counting completes at once (in memory). Otherwise (a Redis round trip) the
    /// middleware follows a lease that was not acquired with <see cref="AcquireAsyncCore"/>, which
    /// counts the request once.
    /// </summary>
    protected override RateLimitLease AttemptAcquireCore(HttpContext resource, int permitCount)
    {
        if (!counters.CountsSynchronously)
        {
            return CallerLease.Undecided;
        }

        if (partitions.Of(resource) is not { } partition)
        {
            return CallerLease.Acquired;
        }

        var counting = counters.CountAsync(partition);
        var lease = counting.IsCompletedSuccessfully ? Decide(partition, counting.Result) : throw new InvalidOperationException(
            $"{counters.GetType().Name} says it counts synchronously, but its count did not complete at once.");

        // The middleware follows a refusal with an asynchronous attempt: it must answer the same
        // refusal, not count the request a second time.
        if (!lease.IsAcquired)
        {
            resource.Features.Set(lease);
        }

        return lease;
    }

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(HttpContext resource, int permitCount, CancellationToken cancellationToken)
    {
        if (resource.Features.Get<CallerLease>() is { } decided)
        {
            return decided;
        }

        return partitions.Of(resource) is { } partition
            ? Decide(partition, await counters.CountAsync(partition).ConfigureAwait(false))
            : CallerLease.Acquired;
    }

    private CallerLease Decide(CallerPartition partition, WindowCount? count)
    {
        if (count is not { } counted)
        {
            metrics.Uncounted(partition);
            return CallerLease.Acquired;
        }

        if (counted.Count <= partition.Policy.Limit)
        {
            return CallerLease.Acquired;
        }

        metrics.Limited(partition);
        return new CallerLease(partition, counted.ResetAfter);
    }
}

/// <summary>A request let through, or refused with what its 429 answer states.</summary>
internal sealed class CallerLease : RateLimitLease
{
    public static readonly CallerLease Acquired = new(isAcquired: true);

    /// <summary>Not acquired yet: the answer of <see cref="CallerRateLimiter"/>'s synchronous attempt.</summary>
    public static readonly CallerLease Undecided = new(isAcquired: false);

    private CallerLease(bool isAcquired) => IsAcquired = isAcquired;

    public CallerLease(CallerPartition partition, TimeSpan resetAfter)
    {
        Partition = partition;
        ResetAfter = resetAfter;
    }

    public override bool IsAcquired { get; }

    /// <summary>Whose budget was spent, on a refused lease.</summary>
    public CallerPartition? Partition { get; }

    /// <summary>When the refusing window ends.</summary>
    public TimeSpan ResetAfter { get; }

    public override IEnumerable<string> MetadataNames => Partition is null ? [] : [MetadataName.RetryAfter.Name];

    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        metadata = Partition is not null && metadataName == MetadataName.RetryAfter.Name ? ResetAfter : null;
        return metadata is not null;
    }
}
