using System.Security.Claims;
using FastEndpoints;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Api.Auth;

/// <summary>
/// ASP.NET Core's policy evaluation, with a shortcut for the endpoints this API is made of: those
/// whose only rule is "a valid token" plus, optionally, <c>Permissions(...)</c>. For them the
/// decision FastEndpoints' policy would reach (an authenticated user holding the permissions) is
/// made here from the same <see cref="PermissionRule"/> and the same claims, without building an
/// authorization context per request, which cost ~1.5 µs of the ~5 µs a remembered token still
/// cost (bench/RESULTS.md). Any other endpoint or policy goes to <see cref="PolicyEvaluator"/> as usual.
/// </summary>
internal sealed class PermissionPolicyEvaluator : IPolicyEvaluator
{
    public Task<AuthenticateResult> AuthenticateAsync(AuthorizationPolicy policy, HttpContext context)
    {
        // With no scheme named, the default evaluator wraps context.User in a new ticket; the
        // authentication middleware's result for that very user is as good and already made.
        if (policy.AuthenticationSchemes.Count == 0
            && context.Features.Get<IAuthenticateResultFeature>()?.AuthenticateResult is { Succeeded: true } authenticated
            && ReferenceEquals(authenticated.Principal, context.User))
        {
            return Task.FromResult(authenticated);
        }

        return Default(context).AuthenticateAsync(policy, context);
    }

    public Task<PolicyAuthorizationResult> AuthorizeAsync(AuthorizationPolicy policy, AuthenticateResult authenticationResult, HttpContext context, object? resource)
    {
        if (!IsTokenAndPermissionsOnly(policy, context, out var rule))
        {
            return Default(context).AuthorizeAsync(policy, authenticationResult, context, resource);
        }

        var authenticated = IsAuthenticated(context.User);
        return Task.FromResult(
            authenticated && (rule is null || rule.IsMetBy(context.User)) ? PolicyAuthorizationResult.Success()
            : authenticationResult.Succeeded ? PolicyAuthorizationResult.Forbid()
            : PolicyAuthorizationResult.Challenge());
    }

    /// <summary>What <see cref="DenyAnonymousAuthorizationRequirement"/> asks, without a LINQ closure per request.</summary>
    private static bool IsAuthenticated(ClaimsPrincipal user)
    {
        foreach (var identity in user.Identities)
        {
            if (identity.IsAuthenticated)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>ASP.NET Core's evaluator, resolved per request as ASP.NET Core does (its handlers may be scoped).</summary>
    private static PolicyEvaluator Default(HttpContext context) => context.RequestServices.GetRequiredService<PolicyEvaluator>();

    /// <summary>
    /// Whether <paramref name="policy"/> is exactly what FastEndpoints builds for an endpoint that
    /// declares nothing or only permissions: a denial of anonymous users, plus one assertion for
    /// the permissions. Roles, scopes, claim types, named policies and policy builders fall outside.
    /// </summary>
    private static bool IsTokenAndPermissionsOnly(AuthorizationPolicy policy, HttpContext context, out PermissionRule? rule)
    {
        rule = null;
        if (context.GetEndpoint()?.Metadata.GetMetadata<EndpointDefinition>() is not { } definition
            || definition.AllowedRoles is { Count: > 0 } || definition.AllowedScopes is { Count: > 0 }
            || definition.AllowedClaimTypes is { Count: > 0 } || definition.PreBuiltUserPolicies is { Count: > 0 }
            || definition.PolicyBuilder is not null || definition.AuthSchemeNames is { Count: > 0 }
            || policy.AuthenticationSchemes.Count > 0)
        {
            return false;
        }

        rule = PermissionRule.Of(definition);
        var requirements = policy.Requirements;
        return requirements.Count == (rule is null ? 1 : 2)
            && requirements[0] is DenyAnonymousAuthorizationRequirement
            && (rule is null || requirements[1] is AssertionRequirement);
    }
}
