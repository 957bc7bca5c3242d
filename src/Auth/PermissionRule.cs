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
/// the one description of the rule that the 403 answer and the OpenAPI document both read.
/// </summary>
internal sealed class PermissionRule
{
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
        definition?.AllowedPermissions is { Count: > 0 } permissions
            ? new PermissionRule(definition.AllowAnyPermission ? PermissionMode.Any : PermissionMode.All, [.. permissions])
            : null;

    /// <summary>The rule of the endpoint the request was routed to; null when it asks for no permission.</summary>
    public static PermissionRule? Of(HttpContext context) =>
        Of(context.GetEndpoint()?.Metadata.GetMetadata<EndpointDefinition>());
}
