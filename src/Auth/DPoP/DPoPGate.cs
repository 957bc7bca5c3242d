using Microsoft.Extensions.Options;

namespace Api.Auth.DPoP;

/// <summary>
/// Which scheme a token may come with, and the proof a DPoP one needs: the request-side rules of
/// RFC 9449 §7, applied by <see cref="Auth0BearerHandler"/> to every token once it is known to be
/// valid (remembered ones included, since every request needs a proof of its own).
/// </summary>
internal sealed class DPoPGate(IOptions<DPoPOptions> options, DPoPProofValidator proofs, DPoPNonces nonces)
{
    public DPoPMode Mode => options.Value.Mode;

    /// <summary>The proof algorithms accepted, as a DPoP challenge lists them.</summary>
    public IReadOnlyList<string> Algorithms => [.. options.Value.Algorithms];

    /// <summary>Whether this request's endpoint takes DPoP tokens only: by <c>Auth0:DPoP:Mode</c>, or by its own declaration.</summary>
    public bool IsRequired(HttpContext context) =>
        options.Value.Mode == DPoPMode.Required || context.GetEndpoint()?.Metadata.GetMetadata<DPoPRequired>() is not null;

    /// <summary>
    /// Null when <paramref name="validated"/>, sent with <paramref name="credentials"/>' scheme, may
    /// pass; else why not. A DPoP proof that passes is spent (recorded against replay) here.
    /// </summary>
    public async ValueTask<DPoPProofFailure?> CheckAsync(HttpContext context, RequestCredentials credentials, ValidatedToken validated)
    {
        if (credentials.Scheme == CredentialScheme.Bearer)
        {
            return validated.Binding.IsBound ? DPoPProofFailure.BoundTokenAsBearer() : null;
        }

        // An unbound token's hash is only needed to say what is wrong with its proof: not kept.
        var tokenHash = validated.Binding.AccessTokenHash ?? (credentials.Token is { } token ? DPoPProofValidator.AccessTokenHash(token) : null);
        var result = await proofs.ValidateAsync(
            DPoPProofRequest.Of(context.Request, tokenHash, validated.Binding.Thumbprint), context.RequestAborted).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return result.Failure;
        }

        if (result.Proof.RenewNonce)
        {
            // RFC 9449 §8.2: a fresh nonce before the one in use expires, on any response.
            context.Response.Headers[DPoPNonces.HeaderName] = nonces.Issue();
        }

        return null;
    }

    /// <summary>The refusal for a Bearer token, or none, where only DPoP is accepted.</summary>
    public static DPoPProofFailure Required() => DPoPProofFailure.DPoPRequired(
        "This endpoint accepts DPoP-bound tokens only: send 'Authorization: DPoP <token>' with a DPoP proof header (RFC 9449).");

    /// <summary>A fresh nonce when <paramref name="refusal"/> asks the client for one (RFC 9449 §9).</summary>
    public string? NonceFor(TokenRefusal refusal) =>
        refusal.Error == DPoPProofFailure.UseDPoPNonce ? nonces.Issue() : null;
}
