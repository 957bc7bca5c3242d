using Microsoft.IdentityModel.Tokens;

namespace Api.Auth.SigningKeys;

/// <summary>The token's issuer is configured, but the <see cref="IIssuerSelector"/> does not accept it for this request.</summary>
internal sealed class IssuerNotAcceptedException()
    : SecurityTokenInvalidIssuerException("The token's issuer is not accepted for this request.");
