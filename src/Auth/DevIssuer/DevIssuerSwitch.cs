using Microsoft.Extensions.Options;

namespace Api.Auth.DevIssuer;

/// <summary>
/// Decides whether the dev issuer runs: only in Development, and only while no Auth0 domain is
/// configured. Decided from the final configuration and environment, so nothing set later (a
/// test host, the command line) can switch it on anywhere else.
/// </summary>
internal sealed class DevIssuerSwitch(IHostEnvironment environment, IConfiguration configuration, IOptions<DevIssuerOptions> options)
{
    private const string DefaultIssuer = "http://localhost:5080/";

    // Bound here rather than taken from IOptions<Auth0Options>: the dev issuer post-configures
    // those options, so asking them would ask itself.
    public bool IsOn { get; } = environment.IsDevelopment()
        && configuration.GetSection(Auth0Options.Section).Get<Auth0Options>() is not { DomainEntries.Count: > 0 };

    /// <summary>The dev issuer's <c>iss</c>, always ending with a slash like Auth0's.</summary>
    public string Issuer { get; } = Auth0Domain.ToAuthority(options.Value.Issuer ?? FirstListenAddress(options.Value.Urls))?.AbsoluteUri
        ?? DefaultIssuer;

    /// <summary>The first http address of <paramref name="urls"/>, with wildcard hosts read as localhost.</summary>
    private static string? FirstListenAddress(string? urls)
    {
        var first = urls?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .FirstOrDefault(u => u.StartsWith("http://", StringComparison.OrdinalIgnoreCase));
        return first is null || first.EndsWith(":0", StringComparison.Ordinal)
            ? null
            : first.Replace("://*", "://localhost", StringComparison.Ordinal)
                .Replace("://+", "://localhost", StringComparison.Ordinal)
                .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal)
                .Replace("://[::]", "://localhost", StringComparison.Ordinal);
    }
}
