using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Api.Auth.DevIssuer;

/// <summary>Mints access tokens shaped like Auth0's machine-to-machine tokens, bound to a DPoP key when asked.</summary>
internal sealed class DevTokenMinter(DevIssuerSwitch devIssuer, DevIssuerSigningKey key, IOptions<DevIssuerOptions> options, TimeProvider time)
{
    private readonly JsonWebTokenHandler handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <param name="keyThumbprint">The RFC 7638 thumbprint of the client's DPoP key, for <c>cnf.jkt</c> (RFC 9449 §6.1); null for a bearer token.</param>
    public string Mint(string clientId, string audience, IReadOnlyList<string> permissions, string? keyThumbprint = null)
    {
        var now = time.GetUtcNow();
        var claims = new Dictionary<string, object>
        {
            ["sub"] = $"{clientId}@clients",
            ["azp"] = clientId,
            ["gty"] = "client-credentials",
            ["iat"] = now.ToUnixTimeSeconds(),
            ["exp"] = (now + options.Value.TokenLifetime).ToUnixTimeSeconds(),
            ["permissions"] = permissions.ToArray(),
        };
        if (permissions.Count > 0)
        {
            claims["scope"] = string.Join(' ', permissions);
        }

        if (keyThumbprint is not null)
        {
            claims["cnf"] = new Dictionary<string, object> { ["jkt"] = keyThumbprint };
        }

        return handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = devIssuer.Issuer,
            Audience = audience,
            Claims = claims,
            SigningCredentials = key.Credentials,
            TokenType = "JWT",
        });
    }
}
