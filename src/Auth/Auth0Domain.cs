using System.Net;

namespace Api.Auth;

/// <summary>Turns the configured <c>Domain</c> into the authority whose keys sign our tokens.</summary>
internal static class Auth0Domain
{
    /// <summary>
    /// <c>dev-x.us.auth0.com</c> becomes <c>https://dev-x.us.auth0.com/</c>; a full URL is kept
    /// (with a trailing slash added). Returns null when the value is empty or no usable URL.
    /// </summary>
    public static Uri? ToAuthority(string? domain)
    {
        if (string.IsNullOrWhiteSpace(domain))
        {
            return null;
        }

        var text = domain.Trim();
        if (!text.Contains("://", StringComparison.Ordinal))
        {
            text = "https://" + text;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || !string.IsNullOrEmpty(uri.UserInfo)
            || !string.IsNullOrEmpty(uri.Query)
            || !string.IsNullOrEmpty(uri.Fragment))
        {
            return null;
        }

        return uri.AbsolutePath.EndsWith('/') ? uri : new Uri(uri.GetLeftPart(UriPartial.Path) + "/");
    }

    /// <summary>localhost, 127.0.0.0/8 and ::1: the only hosts plain http is allowed for.</summary>
    public static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.DnsSafeHost, out var address) && IPAddress.IsLoopback(address));
}
