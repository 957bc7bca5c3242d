namespace Api.Tests.TestKit;

/// <summary>
/// The system clock, which no test can move: IdentityModel checks a token's <c>exp</c> and
/// <c>nbf</c> against it (its <c>TokenValidationParameters.TimeProvider</c> is internal), and the
/// validated-token cache's MemoryCache expires entries by it. Tests about those instants therefore
/// assume no margin: they wait for the instant itself, and count an answer only if that instant
/// did not pass while the question was being answered.
/// </summary>
public static class RealClock
{
    private const int MaxAttempts = 5;

    public static DateTimeOffset Now => TimeProvider.System.GetUtcNow();

    /// <summary>
    /// Now, to the whole second below. JWT times are whole seconds (RFC 7519 §2, NumericDate), so
    /// a claim made from this loses nothing and an instant computed from it is the API's exactly.
    /// </summary>
    public static DateTimeOffset NowInWholeSeconds => DateTimeOffset.FromUnixTimeSeconds(Now.ToUnixTimeSeconds());

    /// <summary>Returns once the system clock is past <paramref name="instant"/>.</summary>
    public static async Task PassAsync(DateTimeOffset instant)
    {
        for (var now = Now; now <= instant; now = Now)
        {
            await Task.Delay(instant - now + TimeSpan.FromMilliseconds(1), TestContext.Current.CancellationToken);
        }
    }

    /// <summary>
    /// The answer to a question that turns at an instant (a request with a token whose <c>exp</c>
    /// plus the clock skew is that instant, say), as the question was posed: <paramref name="ask"/>
    /// and <paramref name="turnsAt"/> get the same <see cref="NowInWholeSeconds"/>. The API reads
    /// the clock at some moment before its answer; if the instant passed between posing the
    /// question and the answer (a stalled machine), that answer is to another question, so it is
    /// posed again from a fresh now. No margin is assumed; a question posed at the very instant it
    /// turns cannot be answered, so offsets in whole seconds must differ from it.
    /// </summary>
    public static async Task<T> AnswerAsPosedAsync<T>(Func<DateTimeOffset, DateTimeOffset> turnsAt, Func<DateTimeOffset, Task<T>> ask)
    {
        for (var attempt = 1; ; attempt++)
        {
            var posed = NowInWholeSeconds;
            var turns = turnsAt(posed);
            var answer = await ask(posed);
            var answered = Now;
            if (posed < turns ? answered < turns : posed > turns)
            {
                return answer;
            }

            Assert.True(
                attempt < MaxAttempts,
                $"{MaxAttempts} times in a row the answer came only after the instant it turns at ({turns:O}); the last was posed at {posed:O}, answered at {answered:O}.");
        }
    }
}
