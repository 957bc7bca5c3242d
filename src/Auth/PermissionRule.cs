using System.Collections.Concurrent;
using System.Security.Claims;
using FastEndpoints;

namespace Api.Auth;

/// <summary>How an endpoint's list of permissions is read: <c>Permissions(...)</c> or <c>PermissionsAll(...)</c>.</summary>
internal enum PermissionMode
{
    Any,
    All,
}

/// <summary>
/// The permissions an endpoint declared in its <c>Configure()</c>, as FastEndpoints recorded them:
/// the one description of the rule that the permission check, the 403 answer and the OpenAPI
/// document all read.
/// </summary>
internal sealed class PermissionRule
{
    // An endpoint's rule never changes once FastEndpoints has built it; read it once per endpoint.
    private static readonly ConcurrentDictionary<EndpointDefinition, PermissionRule?> Rules = new();

    private PermissionRule(PermissionMode mode, IReadOnlyList<string> permissions)
    {
        Mode = permissions.Count == 1 ? PermissionMode.Any : mode;
        Permissions = permissions;
        Scope = string.Join(' ', permissions);
        Description = permissions.Count == 1
            ? $"This endpoint needs the permission '{permissions[0]}'."
            : $"This endpoint needs {(Mode == PermissionMode.All ? "all" : "one")} of the permissions: {string.Join(", ", permissions)}.";
    }

    public PermissionMode Mode { get; }

    public IReadOnlyList<string> Permissions { get; }

    /// <summary>The permissions as an RFC 6750 §3 <c>scope</c> value: space-separated.</summary>
    public string Scope { get; }

    /// <summary>The rule in one sentence, for a caller who was refused and for the API's documentation.</summary>
    public string Description { get; }

    /// <summary>The rule of the endpoint <paramref name="definition"/> describes; null when it asks for no permission.</summary>
    public static PermissionRule? Of(EndpointDefinition? definition) =>
        definition is null ? null : Rules.GetOrAdd(definition, static d => d.AllowedPermissions is { Count: > 0 } permissions
            ? new PermissionRule(d.AllowAnyPermission ? PermissionMode.Any : PermissionMode.All, [.. permissions])
            : null);

    /// <summary>
    /// Whether <paramref name="user"/> holds the permissions, read as FastEndpoints' own policy reads
    /// them: claims of type <c>permissions</c> (type compared ignoring case), values compared exactly.
    /// </summary>
    public bool IsMetBy(ClaimsPrincipal user)
    {
        if (Mode == PermissionMode.Any)
        {
            foreach (var permission in Permissions)
            {
                if (Holds(user, permission))
                {
                    return true;
                }
            }

            return false;
        }

        foreach (var permission in Permissions)
        {
            if (!Holds(user, permission))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// <see cref="ClaimsPrincipal.HasClaim(string, string)"/> compares as FastEndpoints' own check
    /// does (type ignoring case, value exactly), and lets a remembered token's identity answer from
    /// its claims directly (ValidatedTokenCache).
    /// </summary>
    private static bool Holds(ClaimsPrincipal user, string permission) => user.HasClaim(PermissionClaims.ClaimType, permission);

    /// <summary>The rule of the endpoint the request was routed to; null when it asks for no permission.</summary>
    public static PermissionRule? Of(HttpContext context) =>
        Of(context.GetEndpoint()?.Metadata.GetMetadata<EndpointDefinition>());
}
