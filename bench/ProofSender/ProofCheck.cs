using System.Buffers.Text;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Api.Auth.DPoP;
using Microsoft.Extensions.Options;

/// <summary>
/// The API's DPoP proof check measured in-process, beside a bare verification of the same
/// proofs: the load runs (e-mem) cannot separate what the check itself costs from what a larger
/// request costs the rest of the server, and both sides here share the same thread and minute.
/// </summary>
internal static class ProofCheck
{
    private const int Batch = 1000;

    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);

    public static async Task<(double Check, double Verify)> MicrosecondsAsync(Proofs proofs, string url, TimeSpan duration)
    {
        var options = Options.Create(new DPoPOptions { ReplayCacheSize = 10_000_000 });
        options.Value.ApplyListDefaults();
        using var keys = new ProofKeys();
        var validator = new DPoPProofValidator(
            options, new InMemoryDPoPReplayCache(options, TimeProvider.System), new DPoPNonces(options, TimeProvider.System), keys, TimeProvider.System);
        var point = proofs.PublicKey;
        using var verifier = ECDsa.Create(point);
        // As the server has them for a remembered token: its cnf.jkt and its ath, worked out once.
        var thumbprint = JwkThumbprint.OfEc("P-256", point.Q.X, point.Q.Y);
        var tokenHash = DPoPProofValidator.AccessTokenHash(proofs.Token);

        // Batches in the first WarmUp are not counted: until .NET has compiled the validator's code at its
        // final tier, the check measured 10 µs more over its verification.
        var checkTime = TimeSpan.Zero;
        var verifyTime = TimeSpan.Zero;
        var counted = 0;
        var total = Stopwatch.StartNew();
        while (total.Elapsed < WarmUp + duration)
        {
            var warm = total.Elapsed >= WarmUp;
            var batch = new string[Batch];
            Parallel.For(0, Batch, i => batch[i] = proofs.Next());
            var signed = batch.Select(SigningInputAndSignature).ToArray();

            var clock = Stopwatch.StartNew();
            foreach (var proof in batch)
            {
                // Completes synchronously with replays in memory, as at the server.
                var result = await validator.ValidateAsync(new DPoPProofRequest(proof, "GET", url, tokenHash, thumbprint), CancellationToken.None).ConfigureAwait(false);
                if (!result.IsValid)
                {
                    throw new InvalidOperationException($"The API refused a fresh proof: {result.Failure?.Description}");
                }
            }

            var checking = clock.Elapsed;
            clock.Restart();
            foreach (var (input, signature) in signed)
            {
                if (!verifier.VerifyData(input, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
                {
                    throw new InvalidOperationException("A fresh proof's signature did not verify.");
                }
            }

            if (warm)
            {
                checkTime += checking;
                verifyTime += clock.Elapsed;
                counted += Batch;
            }
        }

        return (checkTime.TotalMicroseconds / counted, verifyTime.TotalMicroseconds / counted);
    }

    private static (byte[] Input, byte[] Signature) SigningInputAndSignature(string proof)
    {
        var dot = proof.LastIndexOf('.');
        return (Encoding.ASCII.GetBytes(proof[..dot]), Base64Url.DecodeFromChars(proof.AsSpan(dot + 1)));
    }
}
