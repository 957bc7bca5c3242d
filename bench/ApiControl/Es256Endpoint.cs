using System.Security.Cryptography;
using FastEndpoints;
using PrivateScoped = Api.Features.PrivateScoped;

namespace Bench.ApiControl;

/// <summary>
/// <c>/api/private-scoped</c> plus one ES256 verification and nothing else: what one verification
/// costs the API inside a request under load (case b-v), where the micro-benchmark
/// (<c>ProofSender check</c>) runs it in a tight loop with warm caches. A DPoP request (case e)
/// differs from this one by the proof check's own work only.
/// </summary>
internal sealed class Es256Endpoint : EndpointWithoutRequest<PrivateScoped.Response>
{
    private static readonly ECDsa Signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private static readonly ECDsa Verifier = ECDsa.Create(Signer.ExportParameters(includePrivateParameters: false));

    // As long as a DPoP proof's signing input (~440 bytes); a verification costs the same for any message.
    private static readonly byte[] Signed = RandomNumberGenerator.GetBytes(440);
    private static readonly byte[] Signature = Signer.SignData(Signed, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public override void Configure()
    {
        Get("/api/private-scoped-es256");
        Permissions(PrivateScoped.Endpoint.Permission);
    }

    public override Task HandleAsync(CancellationToken ct) =>
        Verifier.VerifyData(Signed, Signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
            ? Send.OkAsync(new PrivateScoped.Response("Hello from a private endpoint! You need to be authenticated and have a permission of read:messages to see this."), ct)
            : throw new CryptographicException("A signature made at start-up did not verify.");
}
