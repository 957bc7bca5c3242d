using System.Security.Claims;
using Api.Auth.SigningKeys;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Api.Auth;

/// <summary>
/// The two JwtBearer hooks <see cref="Auth0BearerHandler"/> cannot replace: handing JwtBearer the
/// token read once from the request, and what follows a full validation (permissions mapped, the
/// token remembered with what it says about its caller).
/// </summary>
internal sealed class Auth0BearerEvents(IOptions<Auth0Options> options, TrustedIssuers issuers, ValidatedTokenCache cache) : JwtBearerEvents
{
    public override Task MessageReceived(MessageReceivedContext context)
    {
        context.Token = RequestCredentials.Of(context.HttpContext).Token;
        return Task.CompletedTask;
    }

    public override Task TokenValidated(TokenValidatedContext context)
    {
        if (context.Principal?.Identity is ClaimsIdentity identity && context.SecurityToken is JsonWebToken token)
        {
            PermissionClaims.Normalize(identity, options.Value.PermissionClaims);
            var validated = ValidatedToken.From(token);
            RequestCredentials.Of(context.HttpContext).Validated = validated;
            if (issuers.Find(token.Issuer) is { } store)
            {
                cache.Add(token, identity, validated, store);
            }
        }

        return Task.CompletedTask;
    }
}
