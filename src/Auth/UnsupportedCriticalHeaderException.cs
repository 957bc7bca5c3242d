using Microsoft.IdentityModel.Tokens;

namespace Api.Auth;

/// <summary>
/// The JWS lists header extensions in <c>crit</c>; this API understands none, so RFC 7515
/// §4.1.11 requires refusing the token. IdentityModel does not check <c>crit</c> itself.
/// </summary>
internal sealed class UnsupportedCriticalHeaderException()
    : SecurityTokenValidationException("The token's 'crit' header names extensions this API does not support.");
