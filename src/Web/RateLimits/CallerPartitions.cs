using System.Net;
using System.Net.Sockets;
using Api.Auth;
using Api.Web.Swagger;
using Microsoft.Extensions.Options;

namespace Api.Web.RateLimits;

/// <summary>
/// Which budget a request spends (README, "Callers and limits"): a client's, by the client id of
/// its validated token, or its remote address's, when authentication accepted no token. Decided
/// after authentication and from <see cref="RequestCredentials.Validated"/> alone, so a refused
/// token (or one never checked) cannot spend the budget of the client it names.
/// </summary>
internal sealed class CallerPartitions
{
    private readonly RateLimitPolicy? defaultPolicy;
    private readonly RateLimitPolicy? anonymousPolicy;
    private readonly Dictionary<string, RateLimitPolicy> clientPolicies;

    public CallerPartitions(IOptions<RateLimitsOptions> options)
    {
        var limits = options.Value;
        defaultPolicy = limits.Default is { } byDefault ? new(RateLimitPolicy.DefaultName, byDefault.Limit!.Value, byDefault.Window!.Value) : null;
        anonymousPolicy = limits.Anonymous is { } anonymous ? new(RateLimitPolicy.AnonymousName, anonymous.Limit!.Value, anonymous.Window!.Value) : null;
        clientPolicies = limits.Clients.ToDictionary(
            c => c.Key,
            c => new RateLimitPolicy(RateLimitPolicy.ClientName(c.Key), c.Value.Limit!.Value, (c.Value.Window ?? limits.Default?.Window)!.Value),
            StringComparer.Ordinal);
    }

    /// <summary>False when no limit is configured: then requests do not even pass through the rate limiter.</summary>
    public bool AnyLimit => defaultPolicy is not null || anonymousPolicy is not null || clientPolicies.Count > 0;

    /// <summary>
    /// Health probes and Swagger are never limited: a load balancer's probe must not be answered
    /// 429, and the documentation is static.
    /// </summary>
    public static bool IsExempt(PathString path) =>
        path.StartsWithSegments(HealthEndpoints.PathBase) || path.StartsWithSegments(ApiSwagger.UiPath);

    /// <summary>The budget <paramref name="context"/> spends, or null when no limit applies to it.</summary>
    public CallerPartition? Of(HttpContext context)
    {
        // A valid token can still see its request refused (a DPoP-bound token sent as a bearer
        // token, or with another key's proof, RFC 9449 §7): the refusal counts, not the token.
        // A valid token that names no client (not an Auth0 shape) identifies nobody to count by.
        // Either way the request is counted as anonymous, like one without a token.
        var credentials = RequestCredentials.Of(context);
        if (credentials.Refusal is null && credentials.Validated?.ClientId is { } clientId)
        {
            return (clientPolicies.GetValueOrDefault(clientId) ?? defaultPolicy) is { } policy
                ? new CallerPartition(policy, clientId, clientId)
                : null;
        }

        return anonymousPolicy is null ? null : new CallerPartition(anonymousPolicy, null, AddressOf(context.Connection.RemoteIpAddress));
    }

    /// <summary>
    /// The address an anonymous request is counted by. An IPv6 host is counted by its /64: that is
    /// what one subscriber is given (RFC 6177), and a host picks addresses within it at will
    /// (temporary addresses, RFC 8981), so counting each one would set no limit at all.
    /// </summary>
    public static string AddressOf(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }
}

/// <param name="Policy">The limit that applies.</param>
/// <param name="ClientId">The validated token's client; null for an anonymous request.</param>
/// <param name="Caller">What is counted: the client id, or the remote address.</param>
internal readonly record struct CallerPartition(RateLimitPolicy Policy, string? ClientId, string Caller);
