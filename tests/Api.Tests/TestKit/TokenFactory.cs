using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Api.Tests.TestKit;

/// <summary>
/// Mints Auth0-shaped access tokens for a <see cref="TestIssuer"/>: by default a valid
/// machine-to-machine token for the API, and from there any claim, header, key or algorithm a
/// test needs, forged ones included.
/// </summary>
public sealed class TokenFactory(TestIssuer issuer, string audience)
{
    public string Audience => audience;

    /// <summary>A valid token, changed by <paramref name="customize"/>.</summary>
    public string Create(Action<TokenSpec>? customize = null)
    {
        var spec = TokenSpec.Auth0MachineToMachine(issuer, audience);
        customize?.Invoke(spec);
        return spec.Build();
    }

    /// <summary>A valid token granting <paramref name="permissions"/> in the <c>permissions</c> array.</summary>
    public string WithPermissions(params string[] permissions) => Create(t => t.Permissions(permissions));
}

/// <summary>Header, payload and signer of one token; change any of them, then <see cref="Build"/>.</summary>
public sealed class TokenSpec
{
    public Dictionary<string, object?> Header { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, object?> Payload { get; } = new(StringComparer.Ordinal);

    /// <summary>The key that signs; null leaves the signature empty (as <c>alg: none</c> does).</summary>
    public SecurityKey? Signer { get; set; }

    public static TokenSpec Auth0MachineToMachine(TestIssuer issuer, string audience)
    {
        var now = DateTimeOffset.UtcNow;
        var spec = new TokenSpec { Signer = issuer.SigningKey.Key };
        spec.Header["alg"] = issuer.SigningKey.DefaultAlgorithm;
        spec.Header["typ"] = "JWT";
        spec.Header["kid"] = issuer.SigningKey.KeyId;
        spec.Payload["iss"] = issuer.Issuer;
        spec.Payload["sub"] = "test-client@clients";
        spec.Payload["aud"] = audience;
        spec.Payload["iat"] = now.ToUnixTimeSeconds();
        spec.Payload["exp"] = now.AddHours(1).ToUnixTimeSeconds();
        spec.Payload["azp"] = "test-client";
        spec.Payload["gty"] = "client-credentials";
        return spec;
    }

    public TokenSpec Claim(string name, object? value)
    {
        Payload[name] = value;
        return this;
    }

    public TokenSpec Without(string claim)
    {
        Payload.Remove(claim);
        return this;
    }

    public TokenSpec HeaderClaim(string name, object? value)
    {
        Header[name] = value;
        return this;
    }

    public TokenSpec Permissions(params string[] permissions) => Claim("permissions", permissions);

    public TokenSpec Scope(string scope) => Claim("scope", scope);

    public TokenSpec ExpiresAt(DateTimeOffset at) => Claim("exp", at.ToUnixTimeSeconds());

    public TokenSpec NotBefore(DateTimeOffset at) => Claim("nbf", at.ToUnixTimeSeconds());

    /// <summary>Signs with <paramref name="key"/>: its <c>kid</c> and, unless given, its usual algorithm.</summary>
    public TokenSpec SignedWith(SigningKey key, string? algorithm = null)
    {
        Signer = key.Key;
        Header["kid"] = key.KeyId;
        Header["alg"] = algorithm ?? key.DefaultAlgorithm;
        return this;
    }

    /// <summary>Compact JWS: base64url(header).base64url(payload).base64url(signature).</summary>
    public string Build()
    {
        var signingInput = Encode(Header) + "." + Encode(Payload);
        var algorithm = Header.TryGetValue("alg", out var alg) ? alg as string : null;
        if (Signer is null || algorithm is null || algorithm.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return signingInput + ".";
        }

        var provider = CryptoProviderFactory.Default.CreateForSigning(Signer, algorithm);
        try
        {
            return signingInput + "." + Base64UrlEncoder.Encode(provider.Sign(Encoding.ASCII.GetBytes(signingInput)));
        }
        finally
        {
            CryptoProviderFactory.Default.ReleaseSignatureProvider(provider);
        }
    }

    private static string Encode(Dictionary<string, object?> part) =>
        Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(part));
}
