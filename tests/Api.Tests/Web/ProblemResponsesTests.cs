using System.Net;
using System.Net.Http.Headers;
using Api.Tests.TestKit;
using Api.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;

namespace Api.Tests.Web;

/// <summary>
/// Every 4xx/5xx answer (README, "Errors") carries an RFC 9457 <c>application/problem+json</c>
/// body, including the ones ASP.NET Core answers itself (unknown route, wrong method).
/// </summary>
public sealed class ProblemResponsesTests(ApiFixture fixture)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/api/nope")]
    [InlineData("/")]
    [InlineData("/api/public/extra")]
    public async Task Unknown_route_gets_404_problem_json(string route)
    {
        using var client = fixture.Api.CreateClient();
        using var response = await client.GetAsync(route, Cancel);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = await response.ReadProblemAsync(Cancel);
        Assert.Equal("Not Found", problem.StringOf("title"));
    }

    [Fact]
    public async Task Wrong_method_gets_405_problem_json_with_the_allowed_methods()
    {
        using var client = fixture.Api.CreateClient();
        using var response = await client.DeleteAsync("/api/public", Cancel);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Contains("GET", response.Content.Headers.Allow);
        var problem = await response.ReadProblemAsync(Cancel);
        Assert.Equal("Method Not Allowed", problem.StringOf("title"));
    }

    [Theory]
    [InlineData("text/html")]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    public async Task Error_body_is_problem_json_whatever_the_client_accepts(string accept)
    {
        using var client = fixture.Api.CreateClient();
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));

        using var notFound = await client.GetAsync("/api/nope", Cancel);
        using var unauthorized = await client.GetAsync("/api/private", Cancel);

        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        await notFound.ReadProblemAsync(Cancel);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        await unauthorized.ReadProblemAsync(Cancel);
    }
}

/// <summary>The problem responses module on its own, on a minimal in-memory app that can fail on purpose.</summary>
public sealed class ProblemResponsesModuleTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(null)]
    [InlineData("text/html")]
    public async Task Unhandled_exception_gets_500_problem_json_without_its_details(string? accept)
    {
        await using var app = await StartAppAsync();
        using var client = app.GetTestClient();
        if (accept is not null)
        {
            client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        }

        using var response = await client.GetAsync("/throws", Cancel);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var problem = await response.ReadProblemAsync(Cancel);
        Assert.DoesNotContain("secret detail", problem.GetRawText(), StringComparison.Ordinal);
    }

    private static async Task<WebApplication> StartAppAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseTestServer();
        builder.Services.AddProblemResponses();
        var app = builder.Build();
        app.UseProblemResponses();
        app.MapGet("/throws", IResult () => throw new InvalidOperationException("secret detail"));
        await app.StartAsync(Cancel);
        return app;
    }
}
