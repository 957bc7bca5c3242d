using Api.Auth.DPoP;
using Microsoft.Extensions.Options;

namespace Api.Auth.DevIssuer;

/// <summary>
/// A local token service that speaks Auth0's protocol, so <c>dotnet run</c> works without a
/// tenant and clients do exactly what they will do against Auth0. Development only.
/// </summary>
internal static partial class DevIssuerEndpoints
{
    public static WebApplicationBuilder AddDevIssuer(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<DevIssuerOptions>()
            .Configure<IConfiguration>((options, configuration) => options.Urls = configuration.GetValue<string>(WebHostDefaults.ServerUrlsKey))
            .BindConfiguration(DevIssuerOptions.Section)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<DevIssuerOptions>, DevIssuerOptionsValidator>();
        services.AddSingleton<DevIssuerSwitch>();
        services.AddSingleton<DevIssuerSigningKey>();
        services.AddSingleton<DevTokenMinter>();
        services.AddDPoP(); // the token endpoint checks DPoP proofs as the API does (RFC 9449 §5)

        // The API then trusts the dev issuer through the same Auth0 options, JwtBearer pipeline and
        // HTTP key fetch as a real tenant.
        services.AddOptions<Auth0Options>().PostConfigure<DevIssuerSwitch>((auth0, devIssuer) =>
        {
            if (devIssuer.IsOn)
            {
                auth0.Domain = devIssuer.Issuer;
            }
        });
        return builder;
    }

    public static WebApplication MapDevIssuer(this WebApplication app)
    {
        var devIssuer = app.Services.GetRequiredService<DevIssuerSwitch>();
        if (!devIssuer.IsOn)
        {
            return app;
        }

        LogDevIssuerOn(app.Logger, devIssuer.Issuer);
        // Not rate limited: the API fetches its own keys here, from loopback, which would spend
        // the anonymous budget of 127.0.0.1 before any client called.
        var routes = app.MapGroup("").AllowAnonymous().ExcludeFromDescription().DisableRateLimiting();
        routes.MapGet("/.well-known/openid-configuration", (DevIssuerSwitch issuer, IOptions<DPoPOptions> dpop) =>
            TypedResults.Json(Discovery(issuer.Issuer, dpop.Value.Algorithms)));
        routes.MapGet("/.well-known/jwks.json", (DevIssuerSigningKey key) => TypedResults.Json(new { keys = new[] { key.PublicJwk } }));
        routes.MapPost("/oauth/token", IssueTokenAsync).DisableAntiforgery();
        return app;
    }

    private static readonly string[] GrantTypes = ["client_credentials"];
    private static readonly string[] ClientAuthMethods = ["client_secret_post", "client_secret_basic"];
    private static readonly string[] SigningAlgorithms = ["RS256"];

    private static Dictionary<string, object> Discovery(string issuer, IEnumerable<string> proofAlgorithms) => new()
    {
        ["issuer"] = issuer,
        ["jwks_uri"] = $"{issuer}.well-known/jwks.json",
        ["token_endpoint"] = $"{issuer}oauth/token",
        ["grant_types_supported"] = GrantTypes,
        ["token_endpoint_auth_methods_supported"] = ClientAuthMethods,
        ["id_token_signing_alg_values_supported"] = SigningAlgorithms,
        ["dpop_signing_alg_values_supported"] = proofAlgorithms, // RFC 9449 §5.1
    };

    private static async Task IssueTokenAsync(
        HttpContext context, DevTokenMinter minter, DPoPProofValidator proofs, DPoPNonces nonces, IOptions<DevIssuerOptions> options, IOptions<Auth0Options> auth0)
    {
        var (request, error) = await TokenRequest.ReadAsync(context.Request);
        error ??= Check(request!, options.Value, auth0.Value);
        if (error is not null)
        {
            await error.WriteAsync(context);
            return;
        }

        // RFC 9449 §5: a token request with a DPoP proof gets a token bound to the proof's key. The
        // client is authenticated first, so no stranger can spend proofs in the replay cache.
        string? boundTo = null;
        if (context.Request.Headers.ContainsKey(DPoPProofRequest.HeaderName))
        {
            var proof = await proofs.ValidateAsync(DPoPProofRequest.Of(context.Request), context.RequestAborted);
            if (!proof.IsValid)
            {
                await TokenError.From(proof.Failure, nonces).WriteAsync(context);
                return;
            }

            boundTo = proof.Proof.Thumbprint;
            if (proof.Proof.RenewNonce)
            {
                context.Response.Headers[DPoPNonces.HeaderName] = nonces.Issue(); // RFC 9449 §8.2
            }
        }

        var client = options.Value.Clients[request!.ClientId!];
        var audience = request.Audience ?? auth0.Value.Audience!;
        var token = minter.Mint(request.ClientId!, audience, client.Permissions, boundTo);
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";
        var body = new Dictionary<string, object>
        {
            ["access_token"] = token,
            ["token_type"] = boundTo is null ? "Bearer" : "DPoP", // RFC 9449 §5
            ["expires_in"] = (int)options.Value.TokenLifetime.TotalSeconds,
        };
        if (client.Permissions.Count > 0)
        {
            body["scope"] = string.Join(' ', client.Permissions);
        }

        await context.Response.WriteAsJsonAsync(body, context.RequestAborted);
    }

    /// <summary>RFC 6749 §4.4 and §5.2, with Auth0's answer for an audience it does not know.</summary>
    private static TokenError? Check(TokenRequest request, DevIssuerOptions options, Auth0Options auth0)
    {
        if (string.IsNullOrEmpty(request.GrantType))
        {
            return TokenError.InvalidRequest("grant_type is missing.");
        }

        if (request.GrantType != "client_credentials")
        {
            return TokenError.UnsupportedGrantType(request.GrantType);
        }

        if (string.IsNullOrEmpty(request.ClientId) || string.IsNullOrEmpty(request.ClientSecret))
        {
            return TokenError.InvalidClient("Client authentication is missing: send client_id and client_secret, or HTTP Basic.", request.UsedBasic);
        }

        if (!options.Clients.TryGetValue(request.ClientId, out var client) || !SecretsMatch(client.Secret, request.ClientSecret))
        {
            return TokenError.InvalidClient("Unknown client or wrong client secret.", request.UsedBasic);
        }

        if (request.Audience is { } audience && audience != auth0.Audience)
        {
            return TokenError.AccessDenied($"Service not enabled within domain: {audience}");
        }

        return null;
    }

    private static bool SecretsMatch(string expected, string actual) =>
        expected.Length > 0 && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(expected), System.Text.Encoding.UTF8.GetBytes(actual));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dev issuer is ON: this process mints its own tokens as {Issuer}. It exists for local development only and must never face production; set AUTH0_DOMAIN and AUTH0_AUDIENCE to use a real Auth0 tenant.")]
    private static partial void LogDevIssuerOn(ILogger logger, string issuer);
}
