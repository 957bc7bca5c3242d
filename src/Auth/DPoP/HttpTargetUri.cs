using System.Text;

namespace Api.Auth.DPoP;

/// <summary>
/// The form in which a proof's <c>htu</c> and the request's URL are compared (RFC 9449 §4.3
/// check 9): scheme and host in lower case, the scheme's default port left out, an empty path
/// as "/" (RFC 3986 §6.2.3), percent-encodings in upper case and those of unreserved
/// characters decoded, dot segments removed (§6.2.2); query and fragment dropped. Both sides go
/// through the same function, so a client that writes the URL differently from how the server
/// rebuilds it still matches, and two URLs naming different resources never do.
/// </summary>
internal static class HttpTargetUri
{
    /// <summary>The normalized form of an absolute http(s) URL; null when <paramref name="url"/> is not one.</summary>
    public static string? Normalize(string? url)
    {
        // System.Uri does the case, port, dot-segment and unreserved-character normalization.
        if (url is null || !Uri.TryCreate(url, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.Host.Length == 0
            || uri.UserInfo.Length > 0) // a request URL never has one, so a proof naming one names another URL
        {
            return null;
        }

        var host = uri.HostNameType == UriHostNameType.IPv6 ? uri.Host : uri.IdnHost;
        var normalized = new StringBuilder(uri.Scheme).Append("://").Append(host.ToLowerInvariant());
        if (!uri.IsDefaultPort)
        {
            normalized.Append(':').Append(uri.Port);
        }

        return AppendPath(normalized, uri.AbsolutePath).ToString();
    }

    /// <summary>
    /// Upper-case hex in every percent-encoding, which <see cref="Uri"/> leaves as written for
    /// reserved characters (<c>%2f</c>), and unreserved characters decoded (RFC 3986 §6.2.2.2).
    /// </summary>
    private static StringBuilder AppendPath(StringBuilder normalized, string path)
    {
        for (var i = 0; i < path.Length; i++)
        {
            if (path[i] == '%' && i + 2 < path.Length && char.IsAsciiHexDigit(path[i + 1]) && char.IsAsciiHexDigit(path[i + 2]))
            {
                var decoded = (char)Convert.ToByte(path.Substring(i + 1, 2), 16);
                if (char.IsAsciiLetterOrDigit(decoded) || decoded is '-' or '.' or '_' or '~')
                {
                    normalized.Append(decoded);
                }
                else
                {
                    normalized.Append('%').Append(char.ToUpperInvariant(path[i + 1])).Append(char.ToUpperInvariant(path[i + 2]));
                }

                i += 2;
            }
            else
            {
                normalized.Append(path[i]);
            }
        }

        return normalized;
    }
}
