using System.Text.Encodings.Web;
using Api.Auth.DPoP;
using Api.Auth.SigningKeys;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;

namespace Api.Auth;

/// <summary>
/// JwtBearer, with the request's credentials read once and a token validated in full before
/// answered from <see cref="ValidatedTokenCache"/> before any JwtBearer event context is built
/// (bench/RESULTS.md: that plumbing was most of what a remembered token still cost). Everything
/// else is JwtBearer's own validation. A valid token then passes <see cref="DPoPGate"/> (the
/// scheme it came with, and a DPoP proof of its own for every request). Every refusal is
/// explained here, once, and that one <see cref="TokenRefusal"/> is counted, logged and answered
/// (RFC 6750 §3, RFC 9449 §7.1, problem+json).
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
    DPoPGate dpop,
    IIssuerSelector? selector = null) : JwtBearerHandler(options, loggers, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var credentials = RequestCredentials.Of(Context);
        if (credentials.IsAbsent || (credentials.Scheme == CredentialScheme.DPoP && dpop.Mode == DPoPMode.Disabled))
        {
            return AuthenticateResult.NoResult();
        }

        if (credentials.Problem is { } problem)
        {
            return Refuse(credentials, new AuthorizationHeaderException(problem));
        }

        if (credentials.Scheme == CredentialScheme.Bearer && dpop.IsRequired(Context))
        {
            return Refuse(credentials, new DPoPRefusedException(DPoPGate.Required()));
        }

        if (cache.TryGet(Context, credentials, out var principal, out var validated))
        {
            if (selector is not null && !selector.Accepts(Context, validated.Issuer))
            {
                return Refuse(credentials, new IssuerNotAcceptedException());
            }

            credentials.Validated = validated;
            return await AcceptAsync(credentials, validated, AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name))).ConfigureAwait(false);
        }

        // Before any key is looked at or fetched, as for an issuer that is not configured at all.
        if (selector is not null && (credentials.Facts?.Issuer is not { } claimed || !selector.Accepts(Context, claimed)))
        {
            return Refuse(credentials, new IssuerNotAcceptedException());
        }

        var result = await base.HandleAuthenticateAsync().ConfigureAwait(false);
        if (result.Succeeded && credentials.Validated is { } accepted)
        {
            return await AcceptAsync(credentials, accepted, result).ConfigureAwait(false);
        }

        return result.Failure is { } failure ? Refuse(credentials, failure) : result;
    }

    /// <summary>A valid token, accepted if the scheme it came with allows it (RFC 9449 §7: a bound token needs its proof).</summary>
    private async Task<AuthenticateResult> AcceptAsync(RequestCredentials credentials, ValidatedToken validated, AuthenticateResult success)
    {
        if (await dpop.CheckAsync(Context, credentials, validated).ConfigureAwait(false) is { } refused)
        {
            // Valid, but not for this request: nothing after this may take it as the caller's.
            credentials.Validated = null;
            return Refuse(credentials, new DPoPRefusedException(refused));
        }

        metrics.TokenAccepted(validated.Issuer);
        return success;
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var credentials = RequestCredentials.Of(Context);
        var refusal = credentials.Refusal ??= credentials.IsAbsent && dpop.IsRequired(Context)
            ? DPoPGate.Required().ToRefusal()
            : TokenRefusal.MissingToken;
        refusals.Write(refusal, credentials.Facts?.ClientId, credentials.Facts?.KeyId, credentials.Facts?.Issuer);
        return Challenges.WriteAsync(Context, refusal, ChallengeFor(credentials, refusal), dpop.Algorithms, dpop.NonceFor(refusal));
    }

    /// <summary>A valid token without the permission: its facts come from the validated token, not from re-reading it.</summary>
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var credentials = RequestCredentials.Of(Context);
        var refusal = credentials.Refusal = TokenRefusal.InsufficientPermission(PermissionRule.Of(Context));
        refusals.Write(refusal, credentials.Validated?.ClientId, credentials.Validated?.KeyId, credentials.Validated?.Issuer);
        return Challenges.WriteAsync(Context, refusal, ChallengeFor(credentials, refusal), dpop.Algorithms);
    }

    /// <summary>
    /// The challenge of the scheme the request used; with no usable credentials, every scheme
    /// this endpoint takes (RFC 9449 §7.1: both, while Bearer and DPoP are allowed).
    /// </summary>
    private ChallengeScheme ChallengeFor(RequestCredentials credentials, TokenRefusal refusal) =>
        credentials.Scheme == CredentialScheme.DPoP && dpop.Mode != DPoPMode.Disabled ? ChallengeScheme.DPoP
        : refusal.Reason == DPoPReason.Required ? ChallengeScheme.DPoP
        : credentials.Scheme == CredentialScheme.Bearer || dpop.Mode == DPoPMode.Disabled ? ChallengeScheme.Bearer
        : ChallengeScheme.BearerAndDPoP;

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
