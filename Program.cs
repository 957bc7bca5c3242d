using Api.Auth;
using Api.Auth.DevIssuer;
using Api.Web;
using FastEndpoints;

var builder = WebApplication.CreateBuilder(args);

builder.AddAuth0Authentication();
builder.AddDevIssuer();
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
app.MapDevIssuer();

app.Run();
