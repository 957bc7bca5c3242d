using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using static Api.Auth.DPoP.DPoPProofFailure;

namespace Api.Auth.DPoP;

/// <summary>
/// Checks a DPoP proof (RFC 9449 §4.3) against the request it came with and, at a protected
/// resource, the access token it accompanies: every check of §4.3, each failure with its own
/// <see cref="DPoPReason"/>, then the proof is recorded so it is accepted only once (§11.1).
/// The proof's window is <see cref="DPoPOptions.ProofMaxAge"/> and
/// <see cref="DPoPOptions.ProofLeeway"/> alone: the token's clock skew does not widen it.
/// </summary>
internal sealed class DPoPProofValidator(IOptions<DPoPOptions> options, IDPoPReplayCache replays, DPoPNonces nonces, ProofKeys keys, TimeProvider time)
{
    /// <summary>
    /// Far above any real proof (an RSA 8192 proof is about 3,500 characters), so a huge header
    /// is refused before any parsing.
    /// </summary>
    public const int MaxProofLength = 8 * 1024;

    /// <summary>A <c>jti</c> is 96 random bits or a UUID (RFC 9449 §4.2); this bounds what a client may send.</summary>
    public const int MaxJtiLength = 256;

    /// <summary>The longest request URL quoted in a description.</summary>
    private const int MaxQuotedUrlLength = 200;

    /// <summary>9999-12-31T23:59:59Z, the last instant <see cref="DateTimeOffset"/> holds.</summary>
    private const double MaxUnixSeconds = 253402300799;

    private const string ProofType = "dpop+jwt";

    private static readonly JsonDocumentOptions StrictJson = new() { AllowDuplicateProperties = false, MaxDepth = 8 };

    /// <summary>
    /// Checks <paramref name="request"/>'s proof and, if it passes every check, records it; only a
    /// recorded proof is accepted. Call it once the token itself has passed: the proof is spent
    /// even if the request is refused for some other reason afterwards.
    /// </summary>
    public async ValueTask<DPoPProofResult> ValidateAsync(DPoPProofRequest request, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (Check(request, settings, out var proof) is { } failure)
        {
            return DPoPProofResult.Refused(failure);
        }

        var recording = await replays.TryRecordAsync(proof.Thumbprint, proof.Jti, settings.ReplayWindow, cancellationToken).ConfigureAwait(false);
        return recording.Outcome switch
        {
            ProofRecordingOutcome.Recorded => DPoPProofResult.Accepted(new AcceptedProof(proof.Thumbprint, proof.RenewNonce)),
            ProofRecordingOutcome.Replayed => DPoPProofResult.Refused(InvalidProof(DPoPReason.Replayed,
                "This DPoP proof was used before (same key and 'jti'): make a new proof, with a new 'jti', for every request.")),
            ProofRecordingOutcome.StoreFull => DPoPProofResult.Refused(Unrecorded(DPoPReason.ReplayStoreFull,
                "The API is holding as many recent DPoP proofs as it can and cannot record this one against replay; try again shortly.", recording.RetryAfter)),
            _ => DPoPProofResult.Refused(Unrecorded(DPoPReason.ReplayStoreUnavailable,
                "The API cannot record DPoP proofs against replay right now, so it accepts none; try again shortly.", recording.RetryAfter)),
        };
    }

    /// <summary>base64url(SHA-256(ASCII(token))): the <c>ath</c> a proof sent with <paramref name="accessToken"/> must carry (RFC 9449 §4.2).</summary>
    public static string AccessTokenHash(string accessToken) => Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));

    /// <summary>Every check but the replay cache's, in the order of RFC 9449 §4.3 where one does not need another's result.</summary>
    private DPoPProofFailure? Check(DPoPProofRequest request, DPoPOptions settings, out CheckedProof proof)
    {
        proof = default;
        if (request.Proofs.Count > 1)
        {
            return InvalidProof(DPoPReason.ProofRepeated, "The request has more than one DPoP header: send exactly one proof (RFC 9449 §4.3).");
        }

        if (request.Proofs.Count == 0 || request.Proofs[0] is not { Length: > 0 } jws)
        {
            return InvalidProof(DPoPReason.ProofMissing,
                "The request has no DPoP header: with the DPoP scheme, send a proof of possession of the token's key, made for this request (RFC 9449 §7.1).");
        }

        if (jws.Length > MaxProofLength)
        {
            return InvalidProof(DPoPReason.Malformed, $"The DPoP proof is longer than {MaxProofLength} characters.");
        }

        var headerEnd = jws.IndexOf('.');
        var payloadEnd = headerEnd < 0 ? -1 : jws.IndexOf('.', headerEnd + 1);
        if (payloadEnd < 0 || jws.IndexOf('.', payloadEnd + 1) >= 0)
        {
            return Malformed();
        }

        // The signing input as bytes and the three decoded parts (each at most 3/4 of its text) in
        // one pooled buffer: a proof is read once and dropped, so nothing of it needs its own array.
        var buffer = ArrayPool<byte>.Shared.Rent(payloadEnd + jws.Length);
        try
        {
            return CheckParts(request, settings, jws, headerEnd, payloadEnd, buffer, out proof);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The checks of a proof with three parts, working in <paramref name="buffer"/>.</summary>
    private DPoPProofFailure? CheckParts(
        DPoPProofRequest request, DPoPOptions settings, string jws, int headerEnd, int payloadEnd, byte[] buffer, out CheckedProof proof)
    {
        proof = default;
        var text = jws.AsSpan();
        var free = buffer.AsMemory(payloadEnd);
        if (!TryDecode(text[..headerEnd], ref free, out var headerBytes) || headerBytes.IsEmpty
            || !TryDecode(text[(headerEnd + 1)..payloadEnd], ref free, out var payloadBytes) || payloadBytes.IsEmpty
            || !TryDecode(text[(payloadEnd + 1)..], ref free, out var signature))
        {
            return Malformed();
        }

        using var header = ParseObject(headerBytes);
        using var payload = ParseObject(payloadBytes);
        if (header is null || payload is null)
        {
            return InvalidProof(DPoPReason.Malformed, "The DPoP proof's header and payload must each be a JSON object, with no member repeated.");
        }

        if (CheckHeader(header.RootElement, settings, out var alg) is { } headerFailure)
        {
            return headerFailure;
        }

        if (!ProofKey.TryRead(header.RootElement.GetProperty("jwk"u8), alg, keys, out var key, out var keyProblem))
        {
            return InvalidProof(DPoPReason.BadJwk, keyProblem);
        }

        using (key)
        {
            // RFC 7515 §5.2: the signature covers the encoded header and payload exactly as sent
            // (base64url and a dot: ASCII, as the decoding above proved).
            var signingInput = buffer.AsSpan(0, payloadEnd);
            Encoding.ASCII.GetBytes(text[..payloadEnd], signingInput);
            if (signature.IsEmpty || !key.Verifies(signingInput, signature.Span))
            {
                return InvalidProof(DPoPReason.BadSignature, "The DPoP proof's signature does not verify with the key in its 'jwk' header.");
            }

            return CheckClaims(payload.RootElement, request, settings, key.Thumbprint, out proof);
        }
    }

    /// <summary>Decodes one base64url part of the proof into the front of <paramref name="free"/>, and moves past it.</summary>
    private static bool TryDecode(ReadOnlySpan<char> part, ref Memory<byte> free, out ReadOnlyMemory<byte> decoded)
    {
        decoded = default;
        if (!Base64UrlText.TryDecode(part, free.Span, out var written))
        {
            return false;
        }

        decoded = free[..written];
        free = free[written..];
        return true;
    }

    private static DPoPProofFailure Malformed() =>
        InvalidProof(DPoPReason.Malformed, "The DPoP proof is not a compact JWS: three base64url parts separated by dots (RFC 7515 §7.1).");

    /// <summary>RFC 9449 §4.3 checks 4, 5 and 7's precondition: <c>typ</c>, <c>alg</c>, a <c>jwk</c>; and no <c>crit</c> we cannot honour.</summary>
    private static DPoPProofFailure? CheckHeader(JsonElement header, DPoPOptions settings, out string alg)
    {
        alg = string.Empty;
        if (!header.TryGetProperty("typ"u8, out var typ) || typ.ValueKind != JsonValueKind.String
            || !(typ.ValueEquals(ProofType) || IsProofType(typ.GetString())))
        {
            return InvalidProof(DPoPReason.Typ, "The DPoP proof's 'typ' header must be 'dpop+jwt' (RFC 9449 §4.2).");
        }

        if (header.TryGetProperty("crit"u8, out _))
        {
            return InvalidProof(DPoPReason.UnsupportedCrit, "The DPoP proof's 'crit' header names extensions this API does not support (RFC 7515 §4.1.11).");
        }

        if (Allowed(header, settings.Algorithms) is not { } proofAlg)
        {
            return InvalidProof(DPoPReason.AlgNotAllowed,
                $"The DPoP proof's 'alg' is not one this API accepts; accepted: {string.Join(", ", settings.Algorithms)}.");
        }

        alg = proofAlg;
        return header.TryGetProperty("jwk"u8, out _) ? null
            : InvalidProof(DPoPReason.BadJwk, "The DPoP proof has no 'jwk' header: it must carry the public key it is signed with (RFC 9449 §4.2).");
    }

    /// <summary>RFC 9449 §4.3 checks 3 and 8 to 12, on a proof whose signature verified.</summary>
    private DPoPProofFailure? CheckClaims(JsonElement claims, DPoPProofRequest request, DPoPOptions settings, string thumbprint, out CheckedProof proof)
    {
        proof = default;
        if (!claims.TryGetProperty("jti"u8, out var jtiValue) || jtiValue is { ValueKind: JsonValueKind.String } && jtiValue.GetString() is "")
        {
            return InvalidProof(DPoPReason.MissingJti, "The DPoP proof has no 'jti': give every proof a new unique identifier (RFC 9449 §4.2).");
        }

        if (jtiValue.ValueKind != JsonValueKind.String || jtiValue.GetString() is not { Length: <= MaxJtiLength } jti)
        {
            return InvalidProof(DPoPReason.BadJti, $"The DPoP proof's 'jti' must be a string of at most {MaxJtiLength} characters.");
        }

        if (!claims.HasString("htm"u8, request.Method))
        {
            return InvalidProof(DPoPReason.HtmMismatch, $"The DPoP proof's 'htm' must be this request's method, {request.Method}.");
        }

        if (CheckTarget(claims, request.Url) is { } targetFailure)
        {
            return targetFailure;
        }

        if (CheckIssuedAt(claims, settings) is { } issuedAtFailure)
        {
            return issuedAtFailure;
        }

        if (request.AccessTokenHash is { } accessTokenHash && CheckToken(claims, accessTokenHash, request.BoundThumbprint, thumbprint) is { } tokenFailure)
        {
            return tokenFailure;
        }

        var renewNonce = false;
        if (settings.RequireNonce)
        {
            var nonce = nonces.Check(claims.StringOf("nonce"u8), out renewNonce);
            const string retry = "retry with the nonce this answer's DPoP-Nonce header carries (RFC 9449 §9).";
            switch (nonce)
            {
                case NonceCheck.Missing:
                    return NonceNeeded(DPoPReason.NonceRequired, $"This API requires a server-provided 'nonce' in DPoP proofs: {retry}");
                case NonceCheck.Stale:
                    return NonceNeeded(DPoPReason.NonceStale, $"The DPoP proof's 'nonce' has expired: {retry}");
                case NonceCheck.NotOurs:
                    return NonceNeeded(DPoPReason.NonceNotOurs, $"The DPoP proof's 'nonce' was not issued by this API: {retry}");
            }
        }

        proof = new CheckedProof(thumbprint, jti, renewNonce);
        return null;
    }

    /// <summary>
    /// RFC 9449 §4.3 check 9: <c>htu</c> names this request's URL (built by the server, so without
    /// query and fragment). A client usually writes it exactly as the server builds it, and the
    /// very same string names the very same resource: only another spelling needs both sides
    /// normalized (bench/RESULTS.md, "DPoP": normalizing the request's URL anyway cost ~1 µs a proof).
    /// </summary>
    private static DPoPProofFailure? CheckTarget(JsonElement claims, string requestUrl)
    {
        if (claims.HasString("htu"u8, requestUrl))
        {
            return null;
        }

        var url = HttpTargetUri.Normalize(requestUrl);
        if (url is null)
        {
            return InvalidProof(DPoPReason.HtuMismatch, "The DPoP proof's 'htu' cannot match: this request's URL has no valid scheme and host.");
        }

        return HttpTargetUri.Normalize(claims.StringOf("htu"u8)) == url ? null
            : InvalidProof(DPoPReason.HtuMismatch,
                $"The DPoP proof's 'htu' must be this request's URL, {Quoted(url)}, without query and fragment (compared after RFC 3986 normalization). Behind a proxy, the API must be told the public scheme and host (forwarded headers).");
    }

    /// <summary>RFC 9449 §4.3 check 11 and §11.1: made at most ProofMaxAge ago, and at most ProofLeeway ahead of our clock.</summary>
    private DPoPProofFailure? CheckIssuedAt(JsonElement claims, DPoPOptions settings)
    {
        if (!claims.TryGetProperty("iat"u8, out var iat) || iat.ValueKind != JsonValueKind.Number
            || !iat.TryGetDouble(out var seconds) || seconds is < 0 or > MaxUnixSeconds)
        {
            return InvalidProof(DPoPReason.MissingIat, "The DPoP proof has no numeric 'iat': say when it was made, in seconds since 1970 (RFC 9449 §4.2).");
        }

        var age = time.GetUtcNow() - DateTimeOffset.UnixEpoch.AddSeconds(seconds);
        if (age > settings.ProofMaxAge)
        {
            return InvalidProof(DPoPReason.IatTooOld,
                $"The DPoP proof was made more than {Seconds(settings.ProofMaxAge)} seconds ago ('iat'): make a new proof for every request.");
        }

        return -age > settings.ProofLeeway
            ? InvalidProof(DPoPReason.IatInFuture,
                $"The DPoP proof's 'iat' is more than {Seconds(settings.ProofLeeway)} seconds ahead of the API's clock: check the client's clock.")
            : null;
    }

    /// <summary>
    /// RFC 9449 §4.3 check 12: the proof names this very token (<c>ath</c>), and the token is
    /// bound to the proof's key (<c>cnf.jkt</c>, §6.1), which §7.1 answers as <c>invalid_token</c>.
    /// </summary>
    private static DPoPProofFailure? CheckToken(JsonElement claims, string accessTokenHash, string? boundThumbprint, string thumbprint)
    {
        if (!claims.HasString("ath"u8, accessTokenHash))
        {
            return InvalidProof(DPoPReason.AthMismatch,
                "The DPoP proof's 'ath' must be the hash of the access token sent with it: base64url(SHA-256(token)) (RFC 9449 §4.2).");
        }

        if (boundThumbprint is null)
        {
            return TokenNotBound(DPoPReason.TokenNotBound,
                "The access token is not bound to a DPoP key (it has no 'cnf.jkt'): send it with the Bearer scheme, or get a DPoP-bound token.");
        }

        return boundThumbprint == thumbprint ? null
            : TokenNotBound(DPoPReason.KeyMismatch, "The access token is bound to another key than the one that signed the DPoP proof ('cnf.jkt').");
    }

    /// <summary>RFC 7515 §4.1.9: a media type, compared case-insensitively, whose "application/" prefix may be left out.</summary>
    private static bool IsProofType(string? typ) =>
        string.Equals(typ, ProofType, StringComparison.OrdinalIgnoreCase) || string.Equals(typ, "application/dpop+jwt", StringComparison.OrdinalIgnoreCase);

    private static JsonDocument? ParseObject(ReadOnlyMemory<byte> json)
    {
        try
        {
            var document = JsonDocument.Parse(json, StrictJson);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                return document;
            }

            document.Dispose();
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The configured algorithm <paramref name="header"/>'s <c>alg</c> names, if it names one.</summary>
    private static string? Allowed(JsonElement header, IList<string> algorithms)
    {
        if (!header.TryGetProperty("alg"u8, out var alg) || alg.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        for (var i = 0; i < algorithms.Count; i++)
        {
            if (alg.ValueEquals(algorithms[i]))
            {
                return algorithms[i];
            }
        }

        return null;
    }

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Quoted(string url) => url.Length <= MaxQuotedUrlLength ? url : string.Concat(url.AsSpan(0, MaxQuotedUrlLength), "...");

    private readonly record struct CheckedProof(string Thumbprint, string Jti, bool RenewNonce);
}
