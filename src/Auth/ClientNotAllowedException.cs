using Microsoft.IdentityModel.Tokens;

namespace Api.Auth;

/// <summary>A valid token from a client that is not in <c>Auth0:AllowedClients</c> (or from no client at all).</summary>
/// <param name="clientId">The validated token's <c>azp</c> or <c>client_id</c>; null when it has neither.</param>
internal sealed class ClientNotAllowedException(string? clientId)
    : SecurityTokenValidationException("The token's client is not one of the allowed clients.")
{
    public string? ClientId { get; } = clientId;
}
