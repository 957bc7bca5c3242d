using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Api.Auth;

/// <summary>
/// What a refused token says about itself, read without trusting it: enough to name the mistake
/// (<see cref="TokenRefusal"/>) and to tell callers apart in logs (<c>azp</c>, <c>kid</c>). Values
/// are cut short and stripped of control characters, and the token itself is never kept.
/// </summary>
internal sealed record TokenFacts(int Parts, string? KeyId, string? ClientId, string? Issuer, IReadOnlyList<string> Audiences, bool LooksLikeIdToken)
{
    private const int MaxValueLength = 100;

    public static TokenFacts Read(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return new(parts.Length, null, null, null, [], false);
        }

        // Plain JSON, not JsonWebToken: that one refuses the whole token over one ill-typed claim
        // (an "exp" that is a string), and the caller who sent it is exactly whom the log should name.
        try
        {
            using var header = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(parts[0]));
            using var payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(parts[1]));
            if (header.RootElement.ValueKind != JsonValueKind.Object || payload.RootElement.ValueKind != JsonValueKind.Object)
            {
                return new(parts.Length, null, null, null, [], false);
            }

            var claims = payload.RootElement;
            var audiences = AudiencesOf(claims).Select(Clean).OfType<string>().ToList();
            var clientId = Clean(Claim(claims, "azp") ?? Claim(claims, "client_id"));
            // An OpenID Connect ID token: its audience is the client itself, it carries ID-token-only
            // claims, and no scope or grant type as Auth0 access tokens do.
            var idToken = Has(claims, "nonce") || Has(claims, "at_hash")
                || (!Has(claims, "scope") && !Has(claims, "gty") && audiences.Count == 1
                    && !audiences[0].Contains("://", StringComparison.Ordinal) && (clientId is null || audiences[0] == clientId));
            // An ID token names its client in aud (OpenID Connect Core §2), usually without azp.
            if (idToken && clientId is null && audiences.Count == 1)
            {
                clientId = audiences[0];
            }

            return new(parts.Length, Clean(Claim(header.RootElement, "kid")), clientId, Clean(Claim(claims, "iss")), audiences, idToken);
        }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentException)
        {
            return new(parts.Length, null, null, null, [], false);
        }
    }

    /// <summary>A string or number member as text; null when absent or of another kind.</summary>
    private static string? Claim(JsonElement json, string name) => json.TryGetProperty(name, out var value)
        ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        }
        : null;

    private static bool Has(JsonElement json, string name) =>
        json.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

    /// <summary><c>aud</c> is one string or an array of them (RFC 7519 §4.1.3).</summary>
    private static IEnumerable<string?> AudiencesOf(JsonElement claims) => claims.TryGetProperty("aud", out var aud)
        ? aud.ValueKind switch
        {
            JsonValueKind.String => [aud.GetString()],
            JsonValueKind.Array => aud.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()),
            _ => [],
        }
        : [];

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
