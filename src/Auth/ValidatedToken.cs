using Api.Auth.DPoP;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Api.Auth;

/// <summary>
/// What a token that passed every check says about its caller, taken from the validated token
/// once (and remembered with it in <see cref="ValidatedTokenCache"/>): who sent it and which key
/// signed it, for the 403 answer, its log line and anything else that must trust what it reads.
/// </summary>
/// <param name="Binding">The key the token is bound to (<c>cnf</c>, RFC 9449 §6), if any.</param>
internal sealed record ValidatedToken(string Issuer, string? ClientId, string? KeyId, TokenBinding Binding)
{
    public static ValidatedToken From(JsonWebToken token) => new(
        token.Issuer,
        // azp in Auth0 access tokens; client_id in tokens from other OAuth 2.0 servers (RFC 9068 §2.2).
        token.TryGetPayloadValue<string>("azp", out var azp) ? azp
            : token.TryGetPayloadValue<string>("client_id", out var clientId) ? clientId : null,
        token.Kid,
        TokenBinding.Of(token));
}
