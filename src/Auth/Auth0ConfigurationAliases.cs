using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Memory;

namespace Api.Auth;

/// <summary>
/// Accepts Auth0's customary <c>AUTH0_DOMAIN</c> / <c>AUTH0_AUDIENCE</c> variables next to the
/// ASP.NET Core names. Configuration has no alias mechanism, so the values are inserted just
/// below the environment-variable source: they override appsettings files, while
/// <c>Auth0__Domain</c> and the command line still override them.
/// </summary>
internal static class Auth0ConfigurationAliases
{
    private static readonly (string Variable, string Key)[] Aliases =
    [
        ("AUTH0_DOMAIN", $"{Auth0Options.Section}:{nameof(Auth0Options.Domain)}"),
        ("AUTH0_AUDIENCE", $"{Auth0Options.Section}:{nameof(Auth0Options.Audience)}"),
    ];

    public static void AddAuth0EnvironmentAliases(this IConfigurationBuilder configuration)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (variable, key) in Aliases)
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value)
            {
                values[key] = value;
            }
        }

        if (values.Count == 0)
        {
            return;
        }

        var sources = configuration.Sources;
        var environmentIndex = sources
            .Select((source, index) => (source, index))
            .Where(s => s.source is EnvironmentVariablesConfigurationSource { Prefix: null or "" })
            .Select(s => (int?)s.index)
            .FirstOrDefault() ?? sources.Count;
        sources.Insert(environmentIndex, new MemoryConfigurationSource { InitialData = values });
    }
}
