namespace Api.Web;

/// <summary>
/// Every 4xx/5xx answer carries an RFC 9457 <c>application/problem+json</c> body: unhandled
/// exceptions, and empty-bodied errors such as 404 for an unknown route or 405, all through
/// ASP.NET Core's <see cref="IProblemDetailsService"/>.
/// </summary>
public static class ProblemResponses
{
    public static IServiceCollection AddProblemResponses(this IServiceCollection services) =>
        services.AddProblemDetails();

    public static WebApplication UseProblemResponses(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }
}
