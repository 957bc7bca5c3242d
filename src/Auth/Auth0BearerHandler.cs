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
    RefusalLog refusals,
    IIssuerSelector? selector = null) : JwtBearerHandler(options, loggers, encoder)
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

        if (cache.TryGet(credentials.Header!, credentials.Token!, out var principal, out var validated))
        {
            if (selector is not null && !selector.Accepts(Context, validated.Issuer))
            {
                return Refuse(credentials, new IssuerNotAcceptedException());
            }

            credentials.Validated = validated;
            metrics.TokenAccepted(validated.Issuer);
            return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
        }

        // Before any key is looked at or fetched, as for an issuer that is not configured at all.
        if (selector is not null && (credentials.Facts?.Issuer is not { } claimed || !selector.Accepts(Context, claimed)))
        {
            return Refuse(credentials, new IssuerNotAcceptedException());
        }

        var result = await base.HandleAuthenticateAsync().ConfigureAwait(false);
        if (result.Succeeded && credentials.Validated is { } accepted)
        {
            metrics.TokenAccepted(accepted.Issuer);
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
        refusals.Write(refusal, credentials.Facts?.ClientId, credentials.Facts?.KeyId, credentials.Facts?.Issuer);
        return BearerChallenges.WriteAsync(Context, refusal);
    }

    /// <summary>A valid token without the permission: its facts come from the validated token, not from re-reading it.</summary>
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var credentials = RequestCredentials.Of(Context);
        var refusal = credentials.Refusal = TokenRefusal.InsufficientPermission(PermissionRule.Of(Context));
        refusals.Write(refusal, credentials.Validated?.ClientId, credentials.Validated?.KeyId, credentials.Validated?.Issuer);
        return BearerChallenges.WriteAsync(Context, refusal);
    }

    /// <summary>The one place a failure is explained: the same refusal then feeds the metric, the log line and the answer.</summary>
    private AuthenticateResult Refuse(RequestCredentials credentials, Exception failure)
    {
        var refusal = credentials.Refusal ??= TokenRefusal.From(failure, new RefusalContext(auth0.Value, issuers.Names, credentials.Facts));
        // An issuer name from an unverified token is a metric tag only when it is one we trust:
        // anything else would let a flood of made-up issuers grow the metric without bound.
        metrics.TokenRefused(refusal.Reason, issuers.Find(credentials.Facts?.Issuer)?.Issuer.Issuer);
        return AuthenticateResult.Fail(failure);
    }
}
