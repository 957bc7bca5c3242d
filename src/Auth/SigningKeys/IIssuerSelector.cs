namespace Api.Auth.SigningKeys;

/// <summary>
/// Narrows, per request, which of the configured issuers (<c>Auth0:Domains</c>) a token may come
/// from: for an API that serves several tenants, one per host name. Register one in DI and every
/// token whose issuer it does not accept is refused (401 <c>bad_issuer</c>) before any key is
/// looked at, remembered tokens included. Without one, every configured issuer is accepted.
/// Whatever it reads from the request must be trustworthy: a <c>Host</c> or
/// <c>X-Forwarded-Host</c> header is only as good as the proxy that sets it (README, "Several
/// issuers").
/// </summary>
internal interface IIssuerSelector
{
    /// <summary>Whether a token issued by <paramref name="issuer"/> (an exact <c>iss</c>) may be used for this request.</summary>
    bool Accepts(HttpContext context, string issuer);
}
