using Api.Auth;
using Api.Web;
using FastEndpoints;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);

builder.AddAuth0Authentication();
builder.Services.AddApiCors();
builder.Services.AddProblemResponses();
builder.Services.AddFastEndpoints();

var app = builder.Build();

app.UseProblemResponses();
app.UseCors();
app.BlockFastEndpointsTestRoutes();
app.UseAuthentication();
app.UseAuthorization();
app.UseFastEndpoints(c => c.Errors.UseProblemDetails());
app.MapHealthEndpoints();

try
{
    await app.RunAsync();
    return 0;
}
catch (OptionsValidationException)
{
    // The host has already logged which settings are wrong ("Hosting failed to start").
    return 1;
}
