using System.Text;

namespace Api.Auth.DPoP;

/// <summary>
/// The <c>WWW-Authenticate</c> challenge of the DPoP scheme (RFC 9449 §7.1): the proof
/// algorithms accepted in <c>algs</c>, and, for a refused request, the error code and its
/// description (and, for a 403, the <c>scope</c> needed, as RFC 6750 §3 has it for Bearer).
/// </summary>
internal static class DPoPChallenge
{
    public const string Scheme = "DPoP";

    /// <summary>
    /// <c>DPoP algs="ES256 PS256"</c> with no error (no credentials sent, RFC 9449 §7.1), else
    /// <c>DPoP error="...", error_description="...", algs="..."</c>, as in §7.1's examples.
    /// </summary>
    public static string Build(IEnumerable<string> algorithms, string? error = null, string? description = null, string? scope = null)
    {
        var challenge = new StringBuilder(Scheme).Append(' ');
        if (error is not null)
        {
            Append(challenge, "error", error);
            if (description is not null)
            {
                Append(challenge, "error_description", description);
            }

            if (scope is not null)
            {
                Append(challenge, "scope", scope);
            }
        }

        return Append(challenge, "algs", string.Join(' ', algorithms)).ToString();
    }

    /// <summary>The challenge answering <paramref name="refusal"/> (its error, description and needed scope).</summary>
    public static string For(TokenRefusal refusal, IEnumerable<string> algorithms) =>
        Build(algorithms, refusal.Error, refusal.Error is null ? null : refusal.Description, refusal.RequiredScope);

    private static StringBuilder Append(StringBuilder challenge, string name, string value)
    {
        if (challenge[^1] != ' ')
        {
            challenge.Append(", ");
        }

        return challenge.Append(name).Append("=\"").Append(Challenges.QuotedStringSafe(value)).Append('"');
    }
}
