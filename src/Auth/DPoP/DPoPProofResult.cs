using System.Diagnostics.CodeAnalysis;

namespace Api.Auth.DPoP;

/// <summary>The outcome of checking one proof: the accepted <see cref="Proof"/>, or the <see cref="Failure"/> saying why not.</summary>
internal sealed class DPoPProofResult
{
    private DPoPProofResult(AcceptedProof? proof, DPoPProofFailure? failure)
    {
        Proof = proof;
        Failure = failure;
    }

    public AcceptedProof? Proof { get; }

    public DPoPProofFailure? Failure { get; }

    [MemberNotNullWhen(true, nameof(Proof))]
    [MemberNotNullWhen(false, nameof(Failure))]
    public bool IsValid => Proof is not null;

    public static DPoPProofResult Accepted(AcceptedProof proof) => new(proof, null);

    public static DPoPProofResult Refused(DPoPProofFailure failure) => new(null, failure);
}

/// <summary>A proof that passed every check and was recorded against replay.</summary>
/// <param name="Thumbprint">The proof key's RFC 7638 thumbprint: the <c>cnf.jkt</c> to bind a new token to (RFC 9449 §6.1).</param>
/// <param name="RenewNonce">When nonces are required: the response should carry a fresh <c>DPoP-Nonce</c> (RFC 9449 §8.2).</param>
internal sealed record AcceptedProof(string Thumbprint, bool RenewNonce);

/// <summary>
/// Why a proof was refused, in the terms of <see cref="TokenRefusal"/>: the status at a
/// protected resource, the RFC 9449 §7.1 error code (<c>invalid_dpop_proof</c>,
/// <c>use_dpop_nonce</c>, or <c>invalid_token</c> when the token is not bound to the proof's key),
/// a stable <see cref="DPoPReason"/>, and a description safe to send back: it never holds the
/// proof or the token.
/// </summary>
internal sealed record DPoPProofFailure(int Status, string? Error, string Reason, string Description, TimeSpan? RetryAfter = null)
{
    public const string InvalidDPoPProof = "invalid_dpop_proof";
    public const string UseDPoPNonce = "use_dpop_nonce";

    /// <summary>The answer must carry a fresh <c>DPoP-Nonce</c> header (RFC 9449 §9).</summary>
    public bool AsksForNonce => Error == UseDPoPNonce;

    public static DPoPProofFailure InvalidProof(string reason, string description) =>
        new(StatusCodes.Status401Unauthorized, InvalidDPoPProof, reason, description);

    public static DPoPProofFailure NonceNeeded(string reason, string description) =>
        new(StatusCodes.Status401Unauthorized, UseDPoPNonce, reason, description);

    /// <summary>The token is not bound to the proof's key: RFC 9449 §7.1 answers that as <c>invalid_token</c>.</summary>
    public static DPoPProofFailure TokenNotBound(string reason, string description) =>
        new(StatusCodes.Status401Unauthorized, TokenRefusal.InvalidToken, reason, description);

    /// <summary>
    /// A Bearer token (or none) where only DPoP is accepted: 401 with a bare DPoP challenge, as for
    /// a request without credentials (RFC 9449 §7.1).
    /// </summary>
    public static DPoPProofFailure DPoPRequired(string description) =>
        new(StatusCodes.Status401Unauthorized, null, DPoPReason.Required, description);

    /// <summary>A token bound to a key sent as a bearer token: refused as invalid, whatever the mode (RFC 9449 §7.2).</summary>
    public static DPoPProofFailure BoundTokenAsBearer() => new(
        StatusCodes.Status401Unauthorized, TokenRefusal.InvalidToken, DPoPReason.BoundTokenAsBearer,
        "This token is bound to a key ('cnf'): send it as 'Authorization: DPoP <token>' with a DPoP proof made with that key; a bound token is never accepted as a bearer token.");

    /// <summary>The proof could not be recorded against replay, so it is not accepted: 503, no error code.</summary>
    public static DPoPProofFailure Unrecorded(string reason, string description, TimeSpan retryAfter) =>
        new(StatusCodes.Status503ServiceUnavailable, null, reason, description, retryAfter);

    /// <summary>The same refusal as a <see cref="TokenRefusal"/>, to be counted, logged and answered like any other.</summary>
    public TokenRefusal ToRefusal() => new(Status, Error, Reason, Description, RetryAfter: RetryAfter);
}

/// <summary>The stable reason codes of proof refusals, for logs, metrics and problem bodies.</summary>
internal static class DPoPReason
{
    // RFC 9449 §4.3 check 1: exactly one DPoP header.
    public const string ProofMissing = "dpop_proof_missing";
    public const string ProofRepeated = "dpop_proof_repeated";

    // Checks 2-7: a well-formed JWS, its typ, alg and public jwk, and its signature.
    public const string Malformed = "dpop_malformed";
    public const string Typ = "dpop_typ";
    public const string UnsupportedCrit = "dpop_unsupported_crit";
    public const string AlgNotAllowed = "dpop_alg_not_allowed";
    public const string BadJwk = "dpop_bad_jwk";
    public const string BadSignature = "dpop_bad_signature";

    // Checks 3 and 8-12: the claims.
    public const string MissingJti = "dpop_missing_jti";
    public const string BadJti = "dpop_bad_jti";
    public const string HtmMismatch = "dpop_htm_mismatch";
    public const string HtuMismatch = "dpop_htu_mismatch";
    public const string MissingIat = "dpop_missing_iat";
    public const string IatTooOld = "dpop_iat_too_old";
    public const string IatInFuture = "dpop_iat_in_future";
    public const string AthMismatch = "dpop_ath_mismatch";

    // Check 12: the token's binding (answered invalid_token).
    public const string TokenNotBound = "dpop_token_not_bound";
    public const string KeyMismatch = "dpop_key_mismatch";

    // Check 10 and §9 (answered use_dpop_nonce).
    public const string NonceRequired = "dpop_nonce_required";
    public const string NonceStale = "dpop_nonce_stale";
    public const string NonceNotOurs = "dpop_nonce_invalid";

    // §11.1: each proof once.
    public const string Replayed = "dpop_replayed";
    public const string ReplayStoreUnavailable = "dpop_replay_store_unavailable";
    public const string ReplayStoreFull = "dpop_replay_store_full";

    // §7.1 and §7.2: which scheme a token may come with.
    public const string Required = "dpop_required";
    public const string BoundTokenAsBearer = "dpop_bound_token_as_bearer";
}
