using System.Diagnostics;

namespace Api.Tests.TestKit;

/// <summary>
/// Waiting for a state only polling can see (a server answering <c>/health/ready</c>). The
/// deadline is a guard that turns a hang into a failure naming what never happened; it is never
/// what a test asserts, so it is generous: a slow machine makes the wait longer, never the test red.
/// </summary>
public static class Eventually
{
    /// <summary>The guard when a caller names none.</summary>
    public static readonly TimeSpan DefaultGuard = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Returns once <paramref name="condition"/> holds; throws a <see cref="TimeoutException"/>
    /// saying <paramref name="what"/> (and <paramref name="explain"/>, if given) after <paramref name="guard"/>.
    /// </summary>
    public static async Task HoldsAsync(
        Func<Task<bool>> condition, string what, TimeSpan? guard = null, Func<string>? explain = null)
    {
        var limit = guard ?? DefaultGuard;
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            if (waited.Elapsed > limit)
            {
                throw new TimeoutException($"Not within {limit}: {what}.{(explain is null ? string.Empty : " " + explain())}");
            }

            await Task.Delay(PollInterval, TestContext.Current.CancellationToken);
        }
    }

    /// <inheritdoc cref="HoldsAsync(Func{Task{bool}}, string, TimeSpan?, Func{string}?)"/>
    public static Task HoldsAsync(Func<bool> condition, string what, TimeSpan? guard = null, Func<string>? explain = null) =>
        HoldsAsync(() => Task.FromResult(condition()), what, guard, explain);
}
