using Api.Tests.TestKit;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace Api.Tests.Auth.SigningKeys;

/// <summary>
/// Tells a test that a request's token has reached the API's validation, and whether validation
/// was then waiting for something (the signing keys of a fetch under way) or had its answer at
/// once. It wraps the API's own token handler and calls it unchanged: the request goes through
/// the real pipeline; the probe only watches. A request seen arriving at a middleware could still
/// be on its way to validation when the test moves on; this one is known to be there.
/// </summary>
internal sealed class TokenValidationProbe
{
    private readonly TaskCompletionSource<bool> reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Completes when the first token reaches validation: true if validation had not finished
    /// when it handed control back (it was waiting), false if it had its answer at once.
    /// </summary>
    public Task<bool> WasWaitingAsync() => reached.Task.WaitAsync(Eventually.DefaultGuard, TestContext.Current.CancellationToken);

    /// <summary>For <c>ApiFactory.TestServices</c>: puts the probe around the API's token handler.</summary>
    public void Install(IServiceCollection services) =>
        services.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, jwt =>
        {
            var handler = Assert.Single(jwt.TokenHandlers);
            jwt.TokenHandlers.Clear();
            jwt.TokenHandlers.Add(new Watching(handler, reached));
        });

    private sealed class Watching(TokenHandler handler, TaskCompletionSource<bool> reached) : TokenHandler
    {
        public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
        {
            var validation = handler.ValidateTokenAsync(token, validationParameters);
            reached.TrySetResult(!validation.IsCompleted);
            return await validation.ConfigureAwait(false);
        }
    }
}
