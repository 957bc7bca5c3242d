using System.Net;
using Microsoft.Extensions.Options;

namespace Api.Web;

/// <summary>Refuses at start-up a proxy address or network that would not parse, which would otherwise leave the proxy untrusted without a word.</summary>
internal sealed class ProxyOptionsValidator : IValidateOptions<ProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, ProxyOptions options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.KnownProxies.Count; i++)
        {
            if (!IPAddress.TryParse(options.KnownProxies[i], out _))
            {
                failures.Add($"{ProxyOptions.Section}:KnownProxies:{i} '{options.KnownProxies[i]}' is not an IP address.");
            }
        }

        for (var i = 0; i < options.KnownNetworks.Count; i++)
        {
            if (!System.Net.IPNetwork.TryParse(options.KnownNetworks[i], out _))
            {
                failures.Add($"{ProxyOptions.Section}:KnownNetworks:{i} '{options.KnownNetworks[i]}' is not a network in CIDR notation (e.g. 10.0.0.0/8).");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
