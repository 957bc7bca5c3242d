using System.Security.Claims;
using Api.Auth.SigningKeys;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Api.Auth;

/// <summary>
/// The two JwtBearer hooks <see cref="Auth0BearerHandler"/> cannot replace: handing JwtBearer the
/// token read once from the request, and what follows a full validation (the caller checked
/// against <c>Auth0:AllowedClients</c>, permissions mapped, the token remembered with what it
/// says about its caller).
/// </summary>
internal sealed class Auth0BearerEvents(IOptions<Auth0Options> options, TrustedIssuers issuers, ValidatedTokenCache cache) : JwtBearerEvents
{
    private readonly HashSet<string> allowedClients = new(options.Value.AllowedClients, StringComparer.Ordinal);

    public override Task MessageReceived(MessageReceivedContext context)
    {
        context.Token = RequestCredentials.Of(context.HttpContext).Token;
        return Task.CompletedTask;
    }

    public override Task TokenValidated(TokenValidatedContext context)
    {
        if (context.Principal?.Identity is ClaimsIdentity identity && context.SecurityToken is JsonWebToken token)
        {
            var validated = ValidatedToken.From(token);
            if (allowedClients.Count > 0 && (validated.ClientId is null || !allowedClients.Contains(validated.ClientId)))
            {
                // Refused, so never remembered: only accepted tokens reach the cache.
                context.Fail(new ClientNotAllowedException(validated.ClientId));
                return Task.CompletedTask;
            }

            PermissionClaims.Normalize(identity, options.Value.PermissionClaims);
            RequestCredentials.Of(context.HttpContext).Validated = validated;
            if (issuers.Find(token.Issuer) is { } store)
            {
                cache.Add(token, identity, validated, store);
            }
        }

        return Task.CompletedTask;
    }
}
