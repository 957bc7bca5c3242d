using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Api.Auth.DevIssuer;

/// <summary>
/// The dev issuer's RSA 2048 key, created on first run and reloaded afterwards, so tokens minted
/// before a restart stay valid after it. The file is readable by its owner only.
/// </summary>
internal sealed class DevIssuerSigningKey : IDisposable
{
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = OwnerOnlyFile | UnixFileMode.UserExecute;

    private readonly RSA rsa = RSA.Create();

    public DevIssuerSigningKey(IOptions<DevIssuerOptions> options, IHostEnvironment environment)
    {
        Path = System.IO.Path.GetFullPath(options.Value.KeyPath, environment.ContentRootPath);
        if (File.Exists(Path))
        {
            rsa.ImportFromPem(File.ReadAllText(Path));
        }
        else
        {
            rsa.KeySize = 2048;
            Save(rsa.ExportPkcs8PrivateKeyPem());
        }

        var publicKey = new RsaSecurityKey(rsa.ExportParameters(includePrivateParameters: false));
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(publicKey);
        // RFC 7638 thumbprint: the kid changes exactly when the key does.
        KeyId = Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint());
        jwk.KeyId = KeyId;
        PublicJwk = new Dictionary<string, string>
        {
            ["kty"] = jwk.Kty, ["use"] = "sig", ["alg"] = SecurityAlgorithms.RsaSha256, ["kid"] = KeyId, ["n"] = jwk.N, ["e"] = jwk.E,
        };
        Credentials = new SigningCredentials(new RsaSecurityKey(rsa) { KeyId = KeyId }, SecurityAlgorithms.RsaSha256);
    }

    public string Path { get; }

    public string KeyId { get; }

    public IReadOnlyDictionary<string, string> PublicJwk { get; }

    public SigningCredentials Credentials { get; }

    public void Dispose() => rsa.Dispose();

    private void Save(string pem)
    {
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(Path, pem);
            return;
        }

        Directory.CreateDirectory(directory, OwnerOnlyDirectory);
        using var file = new FileStream(Path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = OwnerOnlyFile,
        });
        using var writer = new StreamWriter(file);
        writer.Write(pem);
    }
}
