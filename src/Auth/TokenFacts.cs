using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Api.Auth;

/// <summary>
/// What a refused token says about itself, read without trusting it: enough to name the mistake
/// (<see cref="TokenRefusal"/>) and to tell callers apart in logs (<c>azp</c>, <c>kid</c>). Values
/// are cut short and stripped of control characters, and the token itself is never kept.
/// </summary>
public sealed record TokenFacts(int Parts, string? KeyId, string? ClientId, string? Issuer, IReadOnlyList<string> Audiences, bool LooksLikeIdToken)
{
    private const int MaxValueLength = 100;

    public static TokenFacts Read(string token)
    {
        var parts = token.Count(c => c == '.') + 1;
        if (parts != 3)
        {
            return new(parts, null, null, null, [], false);
        }

        try
        {
            var jwt = new JsonWebToken(token);
            var audiences = jwt.Audiences.Select(Clean).OfType<string>().ToList();
            var clientId = Clean(Claim(jwt, "azp") ?? Claim(jwt, "client_id"));
            // An OpenID Connect ID token: its audience is the client itself, it carries ID-token-only
            // claims, and no scope or grant type as Auth0 access tokens do.
            var idToken = Claim(jwt, "nonce") is not null || Claim(jwt, "at_hash") is not null
                || (Claim(jwt, "scope") is null && Claim(jwt, "gty") is null && audiences.Count == 1
                    && !audiences[0].Contains("://", StringComparison.Ordinal) && (clientId is null || audiences[0] == clientId));
            // An ID token names its client in aud (OpenID Connect Core §2), usually without azp.
            if (idToken && clientId is null && audiences.Count == 1)
            {
                clientId = audiences[0];
            }

            return new(parts, Clean(jwt.Kid), clientId, Clean(Claim(jwt, "iss")), audiences, idToken);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or Microsoft.IdentityModel.Tokens.SecurityTokenMalformedException)
        {
            return new(parts, null, null, null, [], false);
        }
    }

    private static string? Claim(JsonWebToken jwt, string type) =>
        jwt.TryGetPayloadValue<object>(type, out var value) && value is not null ? value.ToString() : null;

    private static string? Clean(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        var clean = new StringBuilder(Math.Min(value.Length, MaxValueLength));
        foreach (var c in value.AsSpan(0, Math.Min(value.Length, MaxValueLength)))
        {
            clean.Append(char.IsControl(c) ? '?' : c);
        }

        return clean.ToString();
    }
}
