using Microsoft.IdentityModel.Tokens;

namespace Api.Auth.DPoP;

/// <summary>Which authentication schemes carry access tokens to this API.</summary>
internal enum DPoPMode
{
    /// <summary><c>Bearer</c> and <c>DPoP</c> are both accepted: clients move to DPoP at their own pace.</summary>
    Allowed,

    /// <summary>Only <c>DPoP</c>: a stolen token is useless without its client's private key.</summary>
    Required,

    /// <summary>The <c>DPoP</c> scheme is not accepted (a bound token is still never taken as a bearer token).</summary>
    Disabled,
}

/// <summary>
/// The <c>Auth0:DPoP</c> section: how sender-constrained tokens (RFC 9449) are checked. Every
/// default lives here; <see cref="DPoPOptionsValidator"/> refuses bad values at start-up.
/// </summary>
internal sealed class DPoPOptions
{
    public const string Section = "Auth0:DPoP";

    public DPoPMode Mode { get; set; } = DPoPMode.Allowed;

    /// <summary>
    /// Proof algorithms accepted, advertised in the <c>algs</c> of the DPoP challenge (RFC 9449
    /// §7.1). Asymmetric only: the proof's key is the client's own, sent in the proof (§4.2).
    /// ES256 is what browsers' Web Crypto and most DPoP clients use; RS256 and PS256 cover
    /// clients that hold only RSA keys.
    /// </summary>
    public IList<string> Algorithms { get; set; } = [];

    /// <summary>
    /// How old a proof's <c>iat</c> may be. A proof is made for one request right before it is
    /// sent; 5 minutes is what Auth0's own SDKs allow, and the replay cache keeps each proof that
    /// long (plus <see cref="ProofLeeway"/>), so a longer window costs memory.
    /// </summary>
    public TimeSpan ProofMaxAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How far in the future a proof's <c>iat</c> may be: a client clock running a little fast.
    /// <c>Auth0:ClockSkew</c> does not widen this window, which bounds how long a proof is usable.
    /// </summary>
    public TimeSpan ProofLeeway { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Demand a nonce this API issued (RFC 9449 §9), so a proof cannot be made in advance: its
    /// freshness is then vouched for by the server's clock, not only by the client's <c>iat</c>.
    /// </summary>
    public bool RequireNonce { get; set; }

    /// <summary>How long a nonce is accepted after it was issued; a fresh one is sent past half of it.</summary>
    public TimeSpan NonceLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Base64 of at least 32 random bytes, the HMAC-SHA256 key that authenticates nonces. Nonces
    /// are stateless, so every instance behind the load balancer must have the same key to accept
    /// the nonces the others issue. Required when <see cref="RequireNonce"/> is on.
    /// </summary>
    public string? NonceKey { get; set; }

    /// <summary>
    /// How many proofs the in-memory replay cache remembers at once (about 75 bytes each). Entries
    /// live <see cref="ProofMaxAge"/> + <see cref="ProofLeeway"/>, so the default holds some 1,500
    /// DPoP requests a second; when it is full of live entries, new proofs get 503 until one expires.
    /// </summary>
    public int ReplayCacheSize { get; set; } = 500_000;

    internal static readonly string[] DefaultAlgorithms =
    [
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSha256,
    ];

    /// <summary>How long a recorded proof must be remembered: as long as any instant at which it could still be accepted.</summary>
    public TimeSpan ReplayWindow => ProofMaxAge + ProofLeeway;

    /// <summary>
    /// Lists bound from configuration are appended to, never replaced, so the default is filled
    /// in after binding, and only when configuration gave none.
    /// </summary>
    internal void ApplyListDefaults()
    {
        if (Algorithms.Count == 0)
        {
            Algorithms = [.. DefaultAlgorithms];
        }
    }
}
