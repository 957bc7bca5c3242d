using Api.Auth;
using Api.Auth.DevIssuer;
using Api.Redis;
using Api.Web;
using Api.Web.RateLimits;
using Api.Web.Swagger;
using FastEndpoints;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);

builder.AddAuth0Authentication();
builder.AddDevIssuer();
builder.AddSharedRedis();
builder.Services.AddProxies();
builder.Services.AddApiCors();
builder.Services.AddProblemResponses();
builder.Services.AddApiRateLimits();
builder.Services.AddFastEndpoints();
builder.AddApiSwagger();
builder.AddApiTelemetry();

var app = builder.Build();

app.UseProxies();
app.UseProblemResponses();
app.UseCors();
app.BlockFastEndpointsTestRoutes();
app.UseAuthentication();
app.UseApiRateLimits();
app.UseAuthorization();
app.UseFastEndpoints(c => c.Errors.UseProblemDetails());
app.UseApiSwagger();
app.MapHealthEndpoints();
app.MapDevIssuer();

try
{
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (e is OptionsValidationException || IsUnconvertibleSetting(e))
{
    // The host has already logged which settings are wrong ("Hosting failed to start").
    return 1;
}

// The configuration binder's refusal of a value it cannot convert (a word that is not one of an
// enum's, a number or a TimeSpan that does not parse): its message names the key and the value.
static bool IsUnconvertibleSetting(Exception e) => e is InvalidOperationException { InnerException: FormatException or ArgumentException };
