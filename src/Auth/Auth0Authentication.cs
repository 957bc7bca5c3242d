using Api.Auth.SigningKeys;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Api.Auth;

/// <summary>The one entry point that makes the API accept Auth0 access tokens and nothing else.</summary>
public static class Auth0Authentication
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
        services.AddHttpClient(IssuerSigningKeys.HttpClientName, (provider, client) =>
            client.Timeout = provider.GetRequiredService<IOptions<Auth0Options>>().Value.MetadataTimeout);
        services.AddSingleton<AuthMetrics>();
        services.AddSingleton<IssuerSigningKeys>();
        services.AddSingleton<ValidatedTokenCache>();
        services.AddHostedService<SigningKeysRefresher>();
        services.AddHealthChecks().AddCheck<SigningKeysHealthCheck>("signing-keys", tags: ["ready"]);

        services.AddSingleton<Auth0BearerEvents>();
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<Auth0Options>, IssuerSigningKeys>((jwt, auth0, keys) => Configure(jwt, auth0.Value, keys));
        services.AddAuthorization();
        return builder;
    }

    private static void Configure(JwtBearerOptions jwt, Auth0Options auth0, IssuerSigningKeys keys)
    {
        jwt.Audience = auth0.Audience;
        jwt.ConfigurationManager = keys;
        jwt.RefreshOnIssuerKeyNotFound = false; // Auth0TokenHandler refreshes and re-checks instead.
        jwt.SaveToken = false; // nothing reads it back; copying the token into every request costs
        jwt.MapInboundClaims = false; // keep Auth0's claim names (sub, azp, scope, permissions)
        jwt.TokenHandlers.Clear();
        jwt.TokenHandlers.Add(new Auth0TokenHandler(keys));
        jwt.EventsType = typeof(Auth0BearerEvents);

        var parameters = jwt.TokenValidationParameters;
        parameters.ValidAudience = auth0.Audience;
        parameters.ValidateIssuer = true; // issuer comes from IssuerSigningKeys' configuration
        parameters.ValidAlgorithms = [.. auth0.Algorithms];
        parameters.ClockSkew = auth0.ClockSkew;
        parameters.RequireExpirationTime = true;
        parameters.RequireSignedTokens = true;
        parameters.ValidateLifetime = true;
        parameters.TryAllIssuerSigningKeys = false; // the key is found by kid, never guessed
        parameters.NameClaimType = "sub";
    }
}
