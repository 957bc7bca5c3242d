using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Api.Tests.TestKit;
using Microsoft.IdentityModel.Tokens;

namespace Api.Tests.Auth.Hostile;

/// <summary>
/// An API of its own for one test class, so the class can count the log lines each of its requests
/// causes (tests of one class run one after another): its issuer publishes an RSA key (what
/// tokens are signed with) and an EC key (real, published, but not an allowed algorithm); next to
/// it a forger holds a key and a self-signed certificate of its own, served from
/// <see cref="AttackerServer"/>.
/// </summary>
public sealed class HostileWorld : IAsyncLifetime
{
    public TestIssuer Issuer => Api.Issuer;

    public ApiFactory Api { get; private set; } = null!;

    public TokenFactory Tokens => Api.Tokens;

    /// <summary>A published P-256 key: genuinely the issuer's, but ES256 is not in Auth0:Algorithms.</summary>
    public SigningKey EcKey { get; } = SigningKey.CreateEcdsa();

    /// <summary>The forger's RSA key; the issuer never publishes it.</summary>
    public SigningKey AttackerKey { get; } = SigningKey.CreateRsa("attacker-key");

    /// <summary>A self-signed certificate for <see cref="AttackerKey"/>, as an <c>x5c</c> header would carry it.</summary>
    public X509Certificate2 AttackerCertificate { get; private set; } = null!;

    public AttackerServer Attacker { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var rsa = ((RsaSecurityKey)AttackerKey.Key).Rsa;
        AttackerCertificate = new CertificateRequest("CN=api.example.test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        Attacker = await AttackerServer.StartAsync(AttackerKey, AttackerCertificate.ExportCertificatePem());

        // On a test clock, so a test can start a new minute of the refusal log (whose budget of
        // full lines per reason a corpus of forged tokens would otherwise spend).
        Api = await ApiFactory.StartWithOwnIssuerAsync(clock: ApiFactory.ClockStartingNow(), prepareIssuer: issuer => issuer.Publish(EcKey));
    }

    public async ValueTask DisposeAsync()
    {
        // Checked once more at the end, for a fetch the API might have started after answering.
        var attackerRequests = Attacker.Requests;
        await Api.DisposeAsync();
        await Attacker.DisposeAsync();
        AttackerCertificate.Dispose();
        AttackerKey.Dispose();
        Assert.True(attackerRequests == 0, $"The API sent {attackerRequests} request(s) to a URL a token named (jku/x5u).");
    }
}
