using System.Globalization;
using System.Text;
using Api.Auth.DPoP;

namespace Api.Auth;

/// <summary>Which <c>WWW-Authenticate</c> challenges a refusal carries.</summary>
internal enum ChallengeScheme
{
    /// <summary>RFC 6750 §3.</summary>
    Bearer,

    /// <summary>RFC 9449 §7.1.</summary>
    DPoP,

    /// <summary>No credentials sent, and either scheme would do: both challenges (RFC 9110 §11.6.1 allows several).</summary>
    BearerAndDPoP,
}

/// <summary>
/// What a refused request looks like on the wire: the <c>WWW-Authenticate</c> challenge of the
/// scheme the request used (RFC 6750 §3, RFC 9449 §7.1) plus an RFC 9457 problem body. JwtBearer
/// writes 401 with an empty body and 403 with neither header nor body, so both are written here.
/// </summary>
internal static class Challenges
{
    /// <summary>The problem <c>type</c> of a refusal with an RFC 6750 error code.</summary>
    public const string ErrorCodesReference = "https://datatracker.ietf.org/doc/html/rfc6750#section-3.1";

    /// <param name="dpopAlgorithms">The proof algorithms a DPoP challenge lists.</param>
    /// <param name="dpopNonce">A fresh <c>DPoP-Nonce</c> to send, when the refusal asks for one (RFC 9449 §9).</param>
    public static async Task WriteAsync(HttpContext context, TokenRefusal refusal, ChallengeScheme scheme, IEnumerable<string> dpopAlgorithms, string? dpopNonce = null)
    {
        var response = context.Response;
        response.StatusCode = refusal.Status;
        if (refusal.RetryAfter is { } retryAfter)
        {
            response.Headers.RetryAfter = RetryAfterValue(retryAfter);
        }
        else
        {
            response.Headers.WWWAuthenticate = scheme switch
            {
                ChallengeScheme.DPoP => DPoPChallenge.For(refusal, dpopAlgorithms),
                ChallengeScheme.BearerAndDPoP => $"{Bearer(refusal)}, {DPoPChallenge.For(refusal, dpopAlgorithms)}",
                _ => Bearer(refusal),
            };
        }

        if (dpopNonce is not null)
        {
            response.Headers[DPoPNonces.HeaderName] = dpopNonce;
        }

        var extensions = new Dictionary<string, object?> { ["reason"] = refusal.Reason };
        if (refusal.Error is not null)
        {
            extensions["error"] = refusal.Error;
        }

        if (refusal.RequiredScope is { } requiredScope)
        {
            extensions["requiredPermissions"] = requiredScope.Split(' ');
        }

        await TypedResults.Problem(
            detail: refusal.Description,
            statusCode: refusal.Status,
            type: refusal.Error is null ? null : ErrorCodesReference,
            extensions: extensions).ExecuteAsync(context);
    }

    /// <summary>RFC 9110 §10.2.3: whole seconds; never 0, which would invite an immediate retry storm.</summary>
    public static string RetryAfterValue(TimeSpan retryAfter) =>
        Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>RFC 6750 §3 (and RFC 9449 §7.1 after it) allows only %x20-21 / %x23-5B / %x5D-7E inside these values.</summary>
    public static string QuotedStringSafe(string value)
    {
        var safe = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            safe.Append(c is >= ' ' and <= '~' and not '"' and not '\\' ? c : '\'');
        }

        return safe.ToString();
    }

    private static string Bearer(TokenRefusal refusal)
    {
        // RFC 6750 §3.1: with no credentials at all the challenge carries no error code.
        if (refusal.Error is null)
        {
            return "Bearer";
        }

        var challenge = new StringBuilder("Bearer error=\"").Append(refusal.Error).Append('"');
        challenge.Append(", error_description=\"").Append(QuotedStringSafe(refusal.Description)).Append('"');
        if (refusal.RequiredScope is { } scope)
        {
            challenge.Append(", scope=\"").Append(QuotedStringSafe(scope)).Append('"');
        }

        return challenge.ToString();
    }
}
