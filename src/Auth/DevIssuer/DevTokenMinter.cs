using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Api.Auth.DevIssuer;

/// <summary>Mints access tokens shaped like Auth0's machine-to-machine tokens.</summary>
internal sealed class DevTokenMinter(DevIssuerSwitch devIssuer, DevIssuerSigningKey key, IOptions<DevIssuerOptions> options, TimeProvider time)
{
    private readonly JsonWebTokenHandler handler = new() { SetDefaultTimesOnTokenCreation = false };

    public string Mint(string clientId, string audience, IReadOnlyList<string> permissions)
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
