namespace Api.Web;

/// <summary>
/// Every 4xx/5xx answer carries an RFC 9457 <c>application/problem+json</c> body: unhandled
/// exceptions, and empty-bodied errors such as 404 for an unknown route or 405, all through
/// ASP.NET Core's <see cref="IProblemDetailsService"/>.
/// </summary>
internal static class ProblemResponses
{
    public static IServiceCollection AddProblemResponses(this IServiceCollection services) =>
        services.AddProblemDetails();

    public static WebApplication UseProblemResponses(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = WriteProblemAsync });
        app.UseStatusCodePages(context => WriteProblemAsync(context.HttpContext));
        return app;
    }

    /// <summary>
    /// The problem details service writes only for clients whose <c>Accept</c> allows JSON (left to
    /// itself, <c>Accept: text/html</c> gets a text/plain 404 and an empty 500); a problem result
    /// falls back to writing the JSON itself, so every client gets the same body.
    /// </summary>
    private static Task WriteProblemAsync(HttpContext context) =>
        TypedResults.Problem(statusCode: context.Response.StatusCode).ExecuteAsync(context);
}
