using Api.Auth.SigningKeys;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;

namespace Api.Auth;

/// <summary>
/// The JwtBearer hooks, in request order: read the header strictly, map permissions on a valid
/// token, and answer every refusal per SPEC §6 with one log line saying why.
/// </summary>
public sealed partial class Auth0BearerEvents(
    IOptions<Auth0Options> options,
    IssuerSigningKeys keys,
    ILogger<Auth0BearerEvents> logger) : JwtBearerEvents
{
    public override Task MessageReceived(MessageReceivedContext context)
    {
        var credentials = BearerCredentials.Read(context.Request);
        if (credentials.Problem is not null)
        {
            context.Fail(new AuthorizationHeaderException(credentials.Problem));
        }
        else if (credentials.IsAbsent)
        {
            context.NoResult();
        }
        else if (!keys.HasKeys)
        {
            context.Fail(new SigningKeysUnavailableException());
        }
        else
        {
            context.Token = credentials.Token;
        }

        return Task.CompletedTask;
    }

    public override Task TokenValidated(TokenValidatedContext context)
    {
        if (context.Principal?.Identity is System.Security.Claims.ClaimsIdentity identity)
        {
            PermissionClaims.Normalize(identity, options.Value.PermissionClaims);
        }

        return Task.CompletedTask;
    }

    public override async Task Challenge(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var refusal = TokenRefusal.From(context.AuthenticateFailure, options.Value);
        LogRefused(logger, refusal.Status, refusal.Reason, refusal.Description);
        await BearerChallenges.WriteAsync(context.HttpContext, refusal, retryAfter: keys.RetryAfter).ConfigureAwait(false);
    }

    public override async Task Forbidden(ForbiddenContext context)
    {
        var required = BearerChallenges.RequiredPermissions(context.HttpContext);
        var refusal = TokenRefusal.InsufficientPermission(required?.Description ?? "The token lacks the permissions this endpoint needs.");
        LogRefused(logger, refusal.Status, refusal.Reason, refusal.Description);
        await BearerChallenges.WriteAsync(context.HttpContext, refusal, required?.Scope).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Request refused with {Status} ({Reason}): {Description}")]
    private static partial void LogRefused(ILogger logger, int status, string reason, string description);
}
