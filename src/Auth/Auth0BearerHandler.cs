using System.Text.Encodings.Web;
using Api.Auth.SigningKeys;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;

namespace Api.Auth;

/// <summary>
/// JwtBearer, with the request's credentials read once and a token validated in full before
/// answered from <see cref="ValidatedTokenCache"/> before any JwtBearer event context is built
/// (bench/RESULTS.md: that plumbing was most of what a remembered token still cost). Everything
/// else is JwtBearer's own validation. Every refusal is explained here, once, and that one
/// <see cref="TokenRefusal"/> is counted, logged and answered (RFC 6750 §3, problem+json).
/// </summary>
internal sealed class Auth0BearerHandler(
    IOptionsMonitor<JwtBearerOptions> options,
    JwtBearerLogging loggers,
    UrlEncoder encoder,
    IOptions<Auth0Options> auth0,
    TrustedIssuers issuers,
    ValidatedTokenCache cache,
    AuthMetrics metrics,
    RefusalLog refusals) : JwtBearerHandler(options, loggers, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var credentials = RequestCredentials.Of(Context);
        if (credentials.IsAbsent)
        {
            return AuthenticateResult.NoResult();
        }

        if (credentials.Problem is { } problem)
        {
            return Refuse(credentials, new AuthorizationHeaderException(problem));
        }

        if (cache.TryGet(credentials.Token!, out var principal, out var validated))
        {
            credentials.Validated = validated;
            metrics.TokenAccepted();
            return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
        }

        var result = await base.HandleAuthenticateAsync().ConfigureAwait(false);
        if (result.Succeeded)
        {
            metrics.TokenAccepted();
        }
        else if (result.Failure is { } failure)
        {
            return Refuse(credentials, failure);
        }

        return result;
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var credentials = RequestCredentials.Of(Context);
        var refusal = credentials.Refusal ??= TokenRefusal.MissingToken;
        refusals.Write(refusal, credentials.Facts?.ClientId, credentials.Facts?.KeyId);
        return BearerChallenges.WriteAsync(Context, refusal);
    }

    /// <summary>A valid token without the permission: its facts come from the validated token, not from re-reading it.</summary>
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var credentials = RequestCredentials.Of(Context);
        var refusal = credentials.Refusal = TokenRefusal.InsufficientPermission(PermissionRule.Of(Context));
        refusals.Write(refusal, credentials.Validated?.ClientId, credentials.Validated?.KeyId);
        return BearerChallenges.WriteAsync(Context, refusal);
    }

    /// <summary>The one place a failure is explained: the same refusal then feeds the metric, the log line and the answer.</summary>
    private AuthenticateResult Refuse(RequestCredentials credentials, Exception failure)
    {
        var refusal = credentials.Refusal ??= TokenRefusal.From(failure, new RefusalContext(auth0.Value, issuers.Names, credentials.Facts));
        metrics.TokenRefused(refusal.Reason);
        return AuthenticateResult.Fail(failure);
    }
}
