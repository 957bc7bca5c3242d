using System.Security.Claims;
using Api.Auth.SigningKeys;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Api.Auth;

/// <summary>
/// The JwtBearer hooks, in request order: read the header strictly, answer a token validated
/// before from <see cref="ValidatedTokenCache"/>, map permissions on a newly valid token and
/// remember it (a remembered token skips <c>TokenValidated</c>: it was mapped when first seen),
/// count every check, and answer every refusal per SPEC §6 with one log line saying why.
/// </summary>
public sealed partial class Auth0BearerEvents(
    IOptions<Auth0Options> options,
    IssuerSigningKeys keys,
    ValidatedTokenCache cache,
    AuthMetrics metrics,
    ILogger<Auth0BearerEvents> logger) : JwtBearerEvents
{
    public override Task MessageReceived(MessageReceivedContext context)
    {
        var credentials = BearerCredentials.Read(context.Request);
        if (credentials.Problem is not null)
        {
            Refuse(context, new AuthorizationHeaderException(credentials.Problem));
        }
        else if (credentials.IsAbsent)
        {
            context.NoResult();
        }
        else if (!keys.HasKeys)
        {
            Refuse(context, new SigningKeysUnavailableException());
        }
        else if (cache.TryGet(credentials.Token!, keys.Current, out var principal))
        {
            // Checked in full before, under these very keys: skip JwtBearer's validation entirely.
            context.Principal = principal;
            context.Success();
            metrics.TokenAccepted();
        }
        else
        {
            context.Token = credentials.Token;
        }

        return Task.CompletedTask;
    }

    public override Task TokenValidated(TokenValidatedContext context)
    {
        if (context.Principal?.Identity is ClaimsIdentity identity)
        {
            PermissionClaims.Normalize(identity, options.Value.PermissionClaims);
            if (context.SecurityToken is JsonWebToken token)
            {
                cache.Add(token, identity, keys.Current);
            }
        }

        metrics.TokenAccepted();
        return Task.CompletedTask;
    }

    public override Task AuthenticationFailed(AuthenticationFailedContext context)
    {
        metrics.TokenRefused(Explain(context.Exception, context.Request).Refusal.Reason);
        return Task.CompletedTask;
    }

    public override async Task Challenge(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var (refusal, token) = Explain(context.AuthenticateFailure, context.Request);
        LogRefused(logger, refusal.Status, refusal.Reason, token?.ClientId, token?.KeyId, refusal.Description);
        await BearerChallenges.WriteAsync(context.HttpContext, refusal, retryAfter: keys.RetryAfter).ConfigureAwait(false);
    }

    public override async Task Forbidden(ForbiddenContext context)
    {
        var required = PermissionRule.Of(context.HttpContext);
        var refusal = TokenRefusal.InsufficientPermission(required?.Description ?? "The token lacks the permissions this endpoint needs.");
        var token = FactsOf(context.Request);
        LogRefused(logger, refusal.Status, refusal.Reason, token?.ClientId, token?.KeyId, refusal.Description);
        await BearerChallenges.WriteAsync(context.HttpContext, refusal, required?.Scope).ConfigureAwait(false);
    }

    /// <summary>
    /// Why the request was refused, with what its (untrusted) token says about itself, read again
    /// only now that it is refused: one explanation for the answer, the log line and the metric,
    /// worked out once per request (the metric and the challenge both ask for it).
    /// </summary>
    private (TokenRefusal Refusal, TokenFacts? Token) Explain(Exception? failure, HttpRequest request)
    {
        var items = request.HttpContext.Items;
        if (items.TryGetValue(typeof(Explanation), out var known) && known is Explanation explained && ReferenceEquals(explained.Failure, failure))
        {
            return (explained.Refusal, explained.Token);
        }

        var token = FactsOf(request);
        var refusal = TokenRefusal.From(failure, new RefusalContext(options.Value, keys.Current?.Issuer, token));
        items[typeof(Explanation)] = new Explanation(failure, refusal, token);
        return (refusal, token);
    }

    private sealed record Explanation(Exception? Failure, TokenRefusal Refusal, TokenFacts? Token);

    private static TokenFacts? FactsOf(HttpRequest request) =>
        BearerCredentials.Read(request).Token is { } sent ? TokenFacts.Read(sent) : null;

    private void Refuse(MessageReceivedContext context, Exception failure)
    {
        metrics.TokenRefused(Explain(failure, context.Request).Refusal.Reason);
        context.Fail(failure);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Request refused with {Status} ({Reason}) for client {ClientId}, kid {KeyId}: {Description}")]
    private static partial void LogRefused(ILogger logger, int status, string reason, string? clientId, string? keyId, string description);
}
