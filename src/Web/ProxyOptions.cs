namespace Api.Web;

/// <summary>
/// The <c>ForwardedHeaders</c> section: the reverse proxies whose <c>X-Forwarded-For</c>,
/// <c>-Proto</c> and <c>-Host</c> the API believes. A DPoP proof names the URL the client called
/// (<c>htu</c>, RFC 9449 §4.2); behind a proxy the API sees another one unless it trusts the
/// proxy's account of it. Empty by default: no forwarded header is believed.
/// </summary>
internal sealed class ProxyOptions
{
    public const string Section = "ForwardedHeaders";

    /// <summary>Addresses of the proxies in front of the API (<c>10.0.0.5</c>, <c>::1</c>).</summary>
    public IList<string> KnownProxies { get; set; } = [];

    /// <summary>Networks the proxies live in, in CIDR notation (<c>10.0.0.0/8</c>).</summary>
    public IList<string> KnownNetworks { get; set; } = [];
}
