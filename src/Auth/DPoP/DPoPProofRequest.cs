using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.Primitives;

namespace Api.Auth.DPoP;

/// <summary>
/// What a proof is checked against: the request it came with and, at a protected resource, the
/// access token it accompanies. A class, not a record, so that no generated <c>ToString</c> can
/// ever write the proof or the token into a log line.
/// </summary>
internal sealed class DPoPProofRequest(StringValues proofs, string method, string url, string? accessTokenHash = null, string? boundThumbprint = null)
{
    /// <summary>The request header that carries the proof (RFC 9449 §4.1).</summary>
    public const string HeaderName = "DPoP";

    /// <summary>Every <c>DPoP</c> header value of the request: exactly one is acceptable (RFC 9449 §4.3 check 1).</summary>
    public StringValues Proofs { get; } = proofs;

    public string Method { get; } = method;

    /// <summary>The request's absolute URL without query and fragment, as <see cref="Of"/> builds it.</summary>
    public string Url { get; } = url;

    /// <summary>
    /// base64url(SHA-256) of the access token the proof accompanies, the <c>ath</c> it must carry
    /// (RFC 9449 §4.2); null at the token endpoint, where there is no token yet (§5).
    /// </summary>
    public string? AccessTokenHash { get; } = accessTokenHash;

    /// <summary>The access token's <c>cnf.jkt</c> (RFC 9449 §6.1); null when the token is not bound to a key.</summary>
    public string? BoundThumbprint { get; } = boundThumbprint;

    /// <summary>
    /// The proof of <paramref name="request"/>, judged against its URL as ASP.NET Core sees it:
    /// scheme and host after the forwarded-headers middleware (which trusts only the proxies it is
    /// told to), then path base and path. Behind a proxy that is not configured, the URL is the
    /// proxy's view, and every proof's <c>htu</c> is refused.
    /// </summary>
    public static DPoPProofRequest Of(HttpRequest request, string? accessTokenHash = null, string? boundThumbprint = null) => new(
        request.Headers[HeaderName],
        request.Method,
        UriHelper.BuildAbsolute(request.Scheme, request.Host, request.PathBase, request.Path),
        accessTokenHash,
        boundThumbprint);
}
