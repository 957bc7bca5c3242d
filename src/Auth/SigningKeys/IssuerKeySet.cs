using Microsoft.IdentityModel.Tokens;

namespace Api.Auth.SigningKeys;

/// <summary>
/// The signing keys of one issuer as one fetch found them. A new fetch makes a new set, so a
/// reference to a set says exactly which keys something was checked against.
/// </summary>
/// <param name="Keys">The JWKS's signing keys, found by <c>kid</c>.</param>
/// <param name="MaxAge">The JWKS response's <c>Cache-Control: max-age</c>, when it sent one.</param>
internal sealed record IssuerKeySet(IReadOnlyList<SecurityKey> Keys, TimeSpan? MaxAge)
{
    public bool Holds(string keyId) => Keys.Any(k => string.Equals(k.KeyId, keyId, StringComparison.Ordinal));

    public bool Contains(SecurityKey key) => Keys.Contains(key);

    public string KeyIds => string.Join(",", Keys.Select(k => k.KeyId));

    public bool SameKeysAs(IssuerKeySet other) =>
        Keys.Select(k => k.KeyId).Order(StringComparer.Ordinal).SequenceEqual(other.Keys.Select(k => k.KeyId).Order(StringComparer.Ordinal));
}
