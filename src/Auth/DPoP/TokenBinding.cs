using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Api.Auth.DPoP;

/// <summary>
/// What a validated access token's confirmation claim (<c>cnf</c>, RFC 7800 §3.1) binds it to.
/// A token with any <c>cnf</c> is bound to a key its client must prove it holds, so it is never
/// accepted as a bearer token; <see cref="Thumbprint"/> is the DPoP key's <c>cnf.jkt</c> (RFC 9449
/// §6.1), null when the token is bound some other way (a certificate's <c>x5t#S256</c>, RFC 8705)
/// or its <c>cnf</c> is malformed, neither of which a DPoP proof can satisfy.
/// </summary>
/// <param name="AccessTokenHash">
/// For a token bound to a DPoP key, the <c>ath</c> every proof sent with it must carry (RFC 9449
/// §4.2): worked out once, when the token is validated, and remembered with it, rather than
/// hashing the whole token again on every request.
/// </param>
internal sealed record TokenBinding(bool IsBound, string? Thumbprint, string? AccessTokenHash = null)
{
    public static readonly TokenBinding Unbound = new(false, null);

    public static TokenBinding Of(JsonWebToken token)
    {
        // Present at all, whatever its JSON type: a malformed cnf still says the token is not a bearer token.
        if (!token.TryGetClaim("cnf", out _))
        {
            return Unbound;
        }

        var jkt = token.TryGetPayloadValue<JsonElement>("cnf", out var cnf) && cnf.ValueKind == JsonValueKind.Object
            ? cnf.StringOf("jkt"u8)
            : null;
        return string.IsNullOrEmpty(jkt) ? new(true, null) : new(true, jkt, DPoPProofValidator.AccessTokenHash(token.EncodedToken));
    }
}
