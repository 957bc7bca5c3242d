using Api.Auth.DPoP;
using Api.Tests.TestKit;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.Time.Testing;
using System.Security.Cryptography;

namespace Api.Tests.Auth.DPoP;

/// <summary>
/// Server-provided nonces (RFC 9449 §9), stateless: any instance with the same
/// <c>Auth0:DPoP:NonceKey</c> accepts what another issued, for <c>NonceLifetime</c>.
/// </summary>
public sealed class DPoPNonceTests : IDisposable
{
    private const string Url = "https://api.example.test/api/private-bound";
    private const string AccessToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl";

    private static readonly string SharedKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private readonly ProofKeys proofKeys = new();
    private readonly FakeTimeProvider clock = new(DateTimeOffset.FromUnixTimeSeconds(1_900_000_000));
    private readonly DPoPKey key = DPoPKey.CreateEcdsa();

    [Fact]
    public void A_nonce_is_a_short_token_of_RFC_9449_NQCHARs()
    {
        var nonce = Nonces().Issue();

        Assert.Matches("^[A-Za-z0-9_-]{34}$", nonce);
    }

    [Fact]
    public void A_nonce_is_valid_for_its_lifetime_on_every_instance_sharing_the_key_and_then_stale()
    {
        var nonce = Nonces().Issue();
        var otherInstance = Nonces();

        var fresh = otherInstance.Check(nonce, out var renewFresh);
        clock.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromTicks(1));
        var lastMoment = otherInstance.Check(nonce, out _);
        clock.Advance(TimeSpan.FromTicks(1));
        var expired = otherInstance.Check(nonce, out var renewExpired);

        Assert.Equal((NonceCheck.Valid, false), (fresh, renewFresh));
        Assert.Equal(NonceCheck.Valid, lastMoment);
        Assert.Equal((NonceCheck.Stale, true), (expired, renewExpired));
    }

    [Fact]
    public void A_fresh_nonce_is_due_once_the_current_one_is_past_half_its_lifetime()
    {
        var nonces = Nonces();
        var nonce = nonces.Issue();

        clock.Advance(TimeSpan.FromMinutes(2.5) - TimeSpan.FromTicks(1));
        nonces.Check(nonce, out var beforeHalf);
        clock.Advance(TimeSpan.FromTicks(1));
        var atHalf = nonces.Check(nonce, out var renewAtHalf);

        Assert.False(beforeHalf);
        Assert.Equal((NonceCheck.Valid, true), (atHalf, renewAtHalf));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-nonce")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void Nonces_not_issued_with_our_key_are_not_ours(string nonce) =>
        Assert.Equal(nonce.Length == 0 ? NonceCheck.Missing : NonceCheck.NotOurs, Nonces().Check(nonce, out _));

    [Fact]
    public void A_nonce_issued_with_another_key_or_altered_is_not_ours()
    {
        var theirs = Nonces(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))).Issue();
        var ours = Nonces().Issue();
        var altered = ours[..^2] + (ours[^2] == 'A' ? 'B' : 'A') + ours[^1];

        Assert.Equal(NonceCheck.NotOurs, Nonces().Check(theirs, out _));
        Assert.Equal(NonceCheck.NotOurs, Nonces().Check(altered, out _));
    }

    [Fact]
    public void A_nonce_from_an_instance_whose_clock_runs_ahead_is_accepted_within_the_proof_leeway()
    {
        var ahead = new FakeTimeProvider(clock.GetUtcNow() + TimeSpan.FromSeconds(30));
        var slightlyAhead = Nonces(clockOf: ahead).Issue();
        ahead.Advance(TimeSpan.FromMilliseconds(1)); // a nonce's issue time is in milliseconds
        var tooFarAhead = Nonces(clockOf: ahead).Issue();

        Assert.Equal(NonceCheck.Valid, Nonces().Check(slightlyAhead, out _));
        Assert.Equal(NonceCheck.NotOurs, Nonces().Check(tooFarAhead, out _));
    }

    [Fact]
    public async Task With_nonces_required_a_proof_without_one_is_asked_for_one_with_use_dpop_nonce()
    {
        var result = await ValidateAsync(key.Proof("GET", Url, AccessToken, clock.GetUtcNow()).Build());

        Assert.Equal(("use_dpop_nonce", "dpop_nonce_required", 401), (result.Failure?.Error, result.Failure?.Reason, result.Failure?.Status));
        Assert.True(result.Failure?.AsksForNonce);
    }

    [Fact]
    public async Task With_nonces_required_a_proof_with_a_nonce_we_issued_is_accepted()
    {
        var nonce = Nonces().Issue();

        var result = await ValidateAsync(key.Proof("GET", Url, AccessToken, clock.GetUtcNow()).Claim("nonce", nonce).Build());

        Assert.True(result.IsValid, result.Failure?.Description);
        Assert.False(result.Proof.RenewNonce);
    }

    [Fact]
    public async Task A_proof_with_a_nonce_past_half_its_life_is_accepted_and_says_a_fresh_one_is_due()
    {
        var nonce = Nonces().Issue();
        clock.Advance(TimeSpan.FromMinutes(3));

        var result = await ValidateAsync(key.Proof("GET", Url, AccessToken, clock.GetUtcNow()).Claim("nonce", nonce).Build());

        Assert.True(result.IsValid, result.Failure?.Description);
        Assert.True(result.Proof.RenewNonce);
    }

    [Fact]
    public async Task A_stale_nonce_or_one_not_ours_is_answered_with_use_dpop_nonce()
    {
        var stale = Nonces().Issue();
        clock.Advance(TimeSpan.FromMinutes(5));

        var staleResult = await ValidateAsync(key.Proof("GET", Url, AccessToken, clock.GetUtcNow()).Claim("nonce", stale).Build());
        var foreignResult = await ValidateAsync(key.Proof("GET", Url, AccessToken, clock.GetUtcNow()).Claim("nonce", "forged").Build());

        Assert.Equal(("use_dpop_nonce", "dpop_nonce_stale"), (staleResult.Failure?.Error, staleResult.Failure?.Reason));
        Assert.Equal(("use_dpop_nonce", "dpop_nonce_invalid"), (foreignResult.Failure?.Error, foreignResult.Failure?.Reason));
    }

    [Fact]
    public async Task Without_nonces_required_a_proof_nonce_is_not_looked_at()
    {
        var result = await ValidateAsync(key.Proof("GET", Url, AccessToken, clock.GetUtcNow()).Claim("nonce", "anything").Build(), requireNonce: false);

        Assert.True(result.IsValid, result.Failure?.Description);
        Assert.False(result.Proof.RenewNonce);
    }

    public void Dispose()
    {
        key.Dispose();
        proofKeys.Dispose();
    }

    private DPoPNonces Nonces(string? nonceKey = null, FakeTimeProvider? clockOf = null) =>
        new(Options.Create(new DPoPOptions { RequireNonce = true, NonceKey = nonceKey ?? SharedKey }), clockOf ?? clock);

    private async Task<DPoPProofResult> ValidateAsync(string proof, bool requireNonce = true)
    {
        var options = Options.Create(new DPoPOptions { RequireNonce = requireNonce, NonceKey = SharedKey });
        options.Value.ApplyListDefaults();
        var validator = new DPoPProofValidator(options, new InMemoryDPoPReplayCache(options, clock), new DPoPNonces(options, clock), proofKeys, clock);
        return await validator.ValidateAsync(
            new DPoPProofRequest(new StringValues(proof), "GET", Url, DPoPKey.AccessTokenHash(AccessToken), key.Thumbprint), TestContext.Current.CancellationToken);
    }
}
