using Api.Auth.DPoP;
using Api.Auth.SigningKeys;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Api.Auth;

/// <summary>The one entry point that makes the API accept Auth0 access tokens and nothing else.</summary>
internal static class Auth0Authentication
{
    public static WebApplicationBuilder AddAuth0Authentication(this WebApplicationBuilder builder)
    {
        builder.Configuration.AddAuth0EnvironmentAliases();

        // ASP.NET Core's "Request starting ..." lines print the query string, where a client may have
        // put ?access_token=...; no token may reach a log at any level, so that category stays quiet.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        // Kestrel's Debug lines about requests it cannot parse quote the offending request line or
        // header ("Invalid request header: 'Authorization : Bearer ...'"), 128 bytes of it: a whole
        // opaque token, or most of a query string holding a JWT. Quiet for the same reason.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel.BadRequests", LogLevel.Warning);

        var services = builder.Services;
        services.AddOptions<Auth0Options>()
            .BindConfiguration(Auth0Options.Section)
            .PostConfigure(o => o.ApplyListDefaults())
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<Auth0Options>, Auth0OptionsValidator>();

        services.TryAddSingleton(TimeProvider.System);
        // The fetch is bounded by Auth0:MetadataTimeout through its cancellation token alone, so
        // HttpClient's own timer does not race it.
        services.AddHttpClient(IssuerMetadataClient.HttpClientName, client =>
        {
            client.Timeout = Timeout.InfiniteTimeSpan;
            client.MaxResponseContentBufferSize = IssuerMetadataClient.MaxDocumentBytes;
        });
        services.AddSingleton<AuthMetrics>();
        services.AddSingleton<RefusalLog>();
        services.AddSingleton<IssuerMetadataClient>();
        services.AddSingleton<TrustedIssuers>();
        services.AddSingleton<SigningKeysRefresher>();
        services.AddHostedService(provider => provider.GetRequiredService<SigningKeysRefresher>());
        services.AddSingleton<ValidatedTokenCache>();
        services.AddSingleton<Auth0TokenHandler>();
        services.AddDPoP();
        services.AddSingleton<DPoPGate>();
        services.AddHealthChecks().AddCheck<SigningKeysHealthCheck>("signing-keys", tags: ["ready"]);

        services.AddSingleton<JwtBearerLogging>();
        services.AddSingleton<Auth0BearerEvents>();
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddScheme<JwtBearerOptions, Auth0BearerHandler>(JwtBearerDefaults.AuthenticationScheme, configureOptions: null);
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<Auth0Options>, Auth0TokenHandler>((jwt, auth0, tokens) => Configure(jwt, auth0.Value, tokens));
        services.AddAuthorization();
        services.TryAddTransient<PolicyEvaluator>();
        services.AddSingleton<IPolicyEvaluator, PermissionPolicyEvaluator>();
        return builder;
    }

    private static void Configure(JwtBearerOptions jwt, Auth0Options auth0, Auth0TokenHandler tokens)
    {
        jwt.Audience = auth0.Audience;
        jwt.SaveToken = false; // nothing reads it back; copying the token into every request costs
        jwt.MapInboundClaims = false; // keep Auth0's claim names (sub, azp, scope, permissions)
        jwt.TokenHandlers.Clear();
        jwt.TokenHandlers.Add(tokens); // it picks the issuer's keys per token: no ConfigurationManager
        jwt.EventsType = typeof(Auth0BearerEvents);

        var parameters = jwt.TokenValidationParameters;
        parameters.ValidAudience = auth0.Audience;
        parameters.ValidateIssuer = true; // Auth0TokenHandler sets the one issuer the token may name
        parameters.ValidAlgorithms = [.. auth0.Algorithms];
        parameters.ClockSkew = auth0.ClockSkew;
        parameters.RequireExpirationTime = true;
        parameters.RequireSignedTokens = true;
        parameters.ValidateLifetime = true;
        parameters.TryAllIssuerSigningKeys = false; // the key is found by kid, never guessed
        parameters.NameClaimType = "sub";
    }
}
