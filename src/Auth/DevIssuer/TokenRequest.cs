using System.Text;
using System.Text.Json;

namespace Api.Auth.DevIssuer;

/// <summary>
/// A client-credentials token request as Auth0 accepts it: JSON or form body, the client
/// authenticated in the body (client_secret_post) or with HTTP Basic (client_secret_basic).
/// </summary>
internal sealed record TokenRequest(
    string? GrantType,
    string? ClientId,
    string? ClientSecret,
    string? Audience,
    bool UsedBasic)
{
    /// <summary>Reads the request, or says (as an RFC 6749 error) why it cannot be read.</summary>
    public static async Task<(TokenRequest? Request, TokenError? Error)> ReadAsync(HttpRequest http)
    {
        Dictionary<string, string?> fields;
        if (http.HasFormContentType)
        {
            var form = await http.ReadFormAsync(http.HttpContext.RequestAborted);
            if (form.Any(f => f.Value.Count > 1))
            {
                return (null, TokenError.InvalidRequest("A parameter is repeated (RFC 6749 §3.2)."));
            }

            fields = form.ToDictionary(f => f.Key, f => (string?)f.Value.ToString(), StringComparer.Ordinal);
        }
        else if (http.HasJsonContentType())
        {
            try
            {
                var body = await JsonSerializer.DeserializeAsync<Dictionary<string, JsonElement>>(http.Body, cancellationToken: http.HttpContext.RequestAborted);
                fields = (body ?? []).ToDictionary(
                    f => f.Key,
                    f => f.Value.ValueKind == JsonValueKind.String ? f.Value.GetString() : null,
                    StringComparer.Ordinal);
            }
            catch (JsonException)
            {
                return (null, TokenError.InvalidRequest("The body is not a JSON object."));
            }
        }
        else
        {
            return (null, TokenError.InvalidRequest("Send the parameters as application/x-www-form-urlencoded or application/json."));
        }

        var (basicId, basicSecret, basicError) = ReadBasic(http);
        if (basicError is not null)
        {
            return (null, basicError);
        }

        var bodyId = fields.GetValueOrDefault("client_id");
        var bodySecret = fields.GetValueOrDefault("client_secret");
        if (basicId is not null && bodySecret is not null)
        {
            return (null, TokenError.InvalidRequest("Authenticate the client with one method only: HTTP Basic or client_secret in the body (RFC 6749 §2.3)."));
        }

        if (basicId is not null && bodyId is not null && bodyId != basicId)
        {
            return (null, TokenError.InvalidRequest("client_id in the body differs from the HTTP Basic user."));
        }

        return (new TokenRequest(
            fields.GetValueOrDefault("grant_type"),
            basicId ?? bodyId,
            basicSecret ?? bodySecret,
            fields.GetValueOrDefault("audience"),
            UsedBasic: basicId is not null), null);
    }

    /// <summary>RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64.</summary>
    private static (string? Id, string? Secret, TokenError? Error) ReadBasic(HttpRequest http)
    {
        var header = http.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return (null, null, null);
        }

        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                return (Uri.UnescapeDataString(decoded[..colon].Replace('+', ' ')), Uri.UnescapeDataString(decoded[(colon + 1)..].Replace('+', ' ')), null);
            }
        }
        catch (FormatException)
        {
        }

        return (null, null, TokenError.InvalidClient("The HTTP Basic credentials are not base64(client_id:client_secret).", basic: true));
    }
}
