namespace Api.Auth.SigningKeys;

/// <summary>
/// One issuer the API trusts: where its keys are published (<see cref="Authority"/>) and the
/// <c>iss</c> its tokens carry (<see cref="Issuer"/>).
/// </summary>
/// <param name="Authority">Discovery lives at <c>{Authority}.well-known/openid-configuration</c>; always ends with '/'.</param>
/// <param name="Issuer">The exact <c>iss</c> of its tokens: <c>Auth0:Issuer</c> when set, else the authority, as Auth0 writes it.</param>
/// <param name="IssuerConfigured">
/// Whether <see cref="Issuer"/> was set by hand. Only then may the discovery document name
/// another issuer (keys fetched through a proxy, say); otherwise it must name the authority.
/// </param>
internal sealed record TrustedIssuer(Uri Authority, string Issuer, bool IssuerConfigured)
{
    public override string ToString() => Issuer;
}
