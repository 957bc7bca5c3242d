using Api.Auth.DPoP;
using Api.Tests.TestKit;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Api.Tests.Auth.DPoP;

/// <summary>What a token's <c>cnf</c> claim (RFC 7800 §3.1) binds it to: a DPoP key's <c>jkt</c> (RFC 9449 §6.1), something else, or nothing.</summary>
public sealed class TokenBindingTests(ApiFixture fixture)
{
    public static TheoryData<string, object?, bool, string?> Confirmations => new()
    {
        { "no cnf", null, false, null },
        { "a DPoP key", new Dictionary<string, string> { ["jkt"] = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" }, true, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" },
        { "a certificate (RFC 8705)", new Dictionary<string, string> { ["x5t#S256"] = "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2" }, true, null },
        { "an empty jkt", new Dictionary<string, string> { ["jkt"] = "" }, true, null },
        { "a jkt that is not a string", new Dictionary<string, int> { ["jkt"] = 42 }, true, null },
        { "a cnf that is not an object", "jkt", true, null },
        { "a cnf that is an empty object", new Dictionary<string, string>(), true, null },
    };

    [Theory]
    [MemberData(nameof(Confirmations))]
    public void A_token_with_any_cnf_is_bound_and_only_a_string_jkt_names_a_DPoP_key(string @case, object? cnf, bool bound, string? thumbprint)
    {
        var encoded = fixture.Tokens.Create(t =>
        {
            if (cnf is not null)
            {
                t.Claim("cnf", cnf);
            }
        });

        var binding = TokenBinding.Of(new JsonWebToken(encoded));

        Assert.True((bound, thumbprint) == (binding.IsBound, binding.Thumbprint), $"{@case}: got {binding}");
        // The ath its proofs must carry, kept only where a DPoP proof can be sent with it.
        Assert.Equal(thumbprint is null ? null : DPoPKey.AccessTokenHash(encoded), binding.AccessTokenHash);
    }
}
