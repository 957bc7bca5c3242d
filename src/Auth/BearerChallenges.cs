using System.Text;

namespace Api.Auth;

/// <summary>
/// What a refused request looks like on the wire: the RFC 6750 §3 <c>WWW-Authenticate</c>
/// challenge plus an RFC 9457 problem body. JwtBearer writes 401 with an empty body and 403 with
/// neither header nor body, so both are written here.
/// </summary>
internal static class BearerChallenges
{
    /// <summary>The problem <c>type</c> of a refusal with an RFC 6750 error code.</summary>
    public const string ErrorCodesReference = "https://datatracker.ietf.org/doc/html/rfc6750#section-3.1";

    public static async Task WriteAsync(HttpContext context, TokenRefusal refusal)
    {
        var response = context.Response;
        response.StatusCode = refusal.Status;
        if (refusal.RetryAfter is { } retryAfter)
        {
            // RFC 9110 §10.2.3: whole seconds; never 0, which would invite an immediate retry storm.
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        else
        {
            response.Headers.WWWAuthenticate = Challenge(refusal);
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

    private static string Challenge(TokenRefusal refusal)
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

    /// <summary>RFC 6750 §3 allows only %x20-21 / %x23-5B / %x5D-7E inside these values.</summary>
    private static string QuotedStringSafe(string value)
    {
        var safe = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            safe.Append(c is >= ' ' and <= '~' and not '"' and not '\\' ? c : '\'');
        }

        return safe.ToString();
    }
}
