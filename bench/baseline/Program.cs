// The stock comparator of the load benchmark: what a developer gets from the ASP.NET Core docs —
// plain AddJwtBearer with Authority and Audience, a claim policy for the permission, and the
// same routes as the API. Nothing tuned; it sets the bar the API must meet (bench/RESULTS.md).
//
//   Auth0__Domain=http://127.0.0.1:<port>/ Auth0__Audience=<aud> dotnet Baseline.dll
var builder = WebApplication.CreateBuilder(args);

var authority = builder.Configuration["Auth0:Domain"] ?? throw new InvalidOperationException("Auth0:Domain (Auth0__Domain) is missing.");
var audience = builder.Configuration["Auth0:Audience"] ?? throw new InvalidOperationException("Auth0:Audience (Auth0__Audience) is missing.");

builder.Services.AddAuthentication().AddJwtBearer(o =>
{
    o.Authority = authority;
    o.Audience = audience;
    o.MapInboundClaims = false;
    // The bench issuer is plain http on loopback.
    o.RequireHttpsMetadata = !authority.StartsWith("http://127.0.0.1", StringComparison.Ordinal);
});
builder.Services.AddAuthorizationBuilder()
    .AddPolicy("read:messages", p => p.RequireClaim("permissions", "read:messages"));

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();

app.MapGet("/api/public", () => new Greeting("Hello from a public endpoint! You don't need to be authenticated to see this."))
    .AllowAnonymous();
app.MapGet("/api/private-scoped", () => new Greeting("Hello from a private endpoint! You need to be authenticated and have a permission of read:messages to see this."))
    .RequireAuthorization("read:messages");

app.Run();

// Serialized camelCase like the API's responses: {"message": "..."}.
internal sealed record Greeting(string Message);
