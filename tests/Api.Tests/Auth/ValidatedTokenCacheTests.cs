using System.Net;
using Api.Auth;
using Api.Tests.TestKit;
using Microsoft.Extensions.DependencyInjection;
using static Api.Tests.TestKit.AuthorizationHeader;

namespace Api.Tests.Auth;

/// <summary>
/// The cache of validated tokens (README, "Performance") makes reuse cheap without letting in
/// anything a full check refuses. Each test counts the entries of an API of its own.
/// </summary>
public sealed class ValidatedTokenCacheTests
{
    [Fact]
    public async Task A_reused_token_is_remembered_once_and_refused_tokens_are_never_remembered()
    {
        await using var api = await ApiFactory.StartWithOwnIssuerAsync();
        using var client = api.CreateClient();
        var cache = api.Services.GetRequiredService<ValidatedTokenCache>();
        var token = api.Tokens.WithPermissions("read:messages");

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal((HttpStatusCode.OK, null), await client.StatusAndReasonAsync("/api/private-scoped", Bearer(token)));
        }

        Assert.Equal(1, cache.Count);
        Assert.Equal((HttpStatusCode.Unauthorized, "bad_audience"), await client.StatusAndReasonAsync("/api/private", Bearer(api.Tokens.Create(t => t.Claim("aud", "https://other.example")))));
        Assert.Equal((HttpStatusCode.Unauthorized, "expired"), await client.StatusAndReasonAsync("/api/private", Bearer(api.Tokens.Create(t => t.ExpiresAt(DateTimeOffset.UtcNow.AddHours(-1))))));
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public async Task A_remembered_token_is_held_to_each_endpoints_permission_on_every_request()
    {
        await using var api = await ApiFactory.StartWithOwnIssuerAsync();
        using var client = api.CreateClient();
        var cache = api.Services.GetRequiredService<ValidatedTokenCache>();
        var other = api.Tokens.WithPermissions("write:messages");
        var wrongCase = api.Tokens.WithPermissions("READ:messages");

        // Each token is remembered at its first request; later ones are answered from the cache.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal((HttpStatusCode.OK, null), await client.StatusAndReasonAsync("/api/private", Bearer(other)));
            Assert.Equal((HttpStatusCode.Forbidden, "insufficient_permission"), await client.StatusAndReasonAsync("/api/private-scoped", Bearer(other)));
            Assert.Equal((HttpStatusCode.Forbidden, "insufficient_permission"), await client.StatusAndReasonAsync("/api/private-scoped", Bearer(wrongCase)));
        }

        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public async Task A_remembered_token_past_its_expiry_is_refused()
    {
        await using var api = await ApiFactory.StartWithOwnIssuerAsync(new Dictionary<string, string?> { ["Auth0:ClockSkew"] = "00:00:00" });
        using var client = api.CreateClient();
        var cache = api.Services.GetRequiredService<ValidatedTokenCache>();

        // Accepted and remembered before its exp; a fresh token is tried if the answer came only after it.
        var lifetime = TimeSpan.FromSeconds(2);
        var remembered = await RealClock.AnswerAsPosedAsync(
            turnsAt: now => now + lifetime,
            ask: async now =>
            {
                var token = api.Tokens.Create(t => t.ExpiresAt(now + lifetime));
                var entriesBefore = cache.Count;
                var answer = await client.StatusAndReasonAsync("/api/private", Bearer(token));
                return (Token: token, ExpiresAt: now + lifetime, Answer: answer, NewEntries: cache.Count - entriesBefore);
            });
        Assert.Equal((HttpStatusCode.OK, null), remembered.Answer);
        Assert.Equal(1, remembered.NewEntries);

        // Both the full check and the cache read exp against the system clock.
        await RealClock.PassAsync(remembered.ExpiresAt);

        Assert.Equal((HttpStatusCode.Unauthorized, "expired"), await client.StatusAndReasonAsync("/api/private", Bearer(remembered.Token)));
    }

    [Fact]
    public async Task A_remembered_token_whose_key_was_rotated_out_is_refused_after_the_refresh()
    {
        await using var api = await ApiFactory.StartWithOwnIssuerAsync();
        using var client = api.CreateClient();
        var oldToken = api.Tokens.Create();
        Assert.Equal((HttpStatusCode.OK, null), await client.StatusAndReasonAsync("/api/private", Bearer(oldToken)));

        var rotated = SigningKey.CreateRsa();
        api.Issuer.Publish(rotated);
        api.Issuer.Withdraw(api.Issuer.SigningKey);
        Assert.Equal((HttpStatusCode.OK, null), await client.StatusAndReasonAsync("/api/private", Bearer(api.Tokens.Create(t => t.SignedWith(rotated)))));

        Assert.Equal((HttpStatusCode.Unauthorized, "unknown_kid"), await client.StatusAndReasonAsync("/api/private", Bearer(oldToken)));
    }

    [Fact]
    public async Task Tokens_differing_in_one_byte_never_share_an_entry()
    {
        await using var api = await ApiFactory.StartWithOwnIssuerAsync();
        using var client = api.CreateClient();
        var token = api.Tokens.WithPermissions("read:messages");
        Assert.Equal((HttpStatusCode.OK, null), await client.StatusAndReasonAsync("/api/private-scoped", Bearer(token)));

        var lastPart = token.LastIndexOf('.') + 1;
        foreach (var position in new[] { 10, lastPart - 5, lastPart + 3, token.Length - 2 })
        {
            var altered = token[..position] + (token[position] == 'A' ? 'B' : 'A') + token[(position + 1)..];
            var (status, _) = await client.StatusAndReasonAsync("/api/private-scoped", Bearer(altered));
            Assert.Equal(HttpStatusCode.Unauthorized, status);
        }

        Assert.Equal(1, api.Services.GetRequiredService<ValidatedTokenCache>().Count);
    }

    [Fact]
    public async Task The_cache_never_holds_more_tokens_than_its_bound()
    {
        await using var api = await ApiFactory.StartWithOwnIssuerAsync(new Dictionary<string, string?> { ["Auth0:TokenCacheSize"] = "50" });
        using var client = api.CreateClient();
        var cache = api.Services.GetRequiredService<ValidatedTokenCache>();

        for (var i = 0; i < 200; i++)
        {
            var token = api.Tokens.Create(t => t.Claim("jti", $"token-{i}"));
            Assert.Equal((HttpStatusCode.OK, null), await client.StatusAndReasonAsync("/api/private", Bearer(token)));
            Assert.InRange(cache.Count, 1, 50);
        }
    }
}
