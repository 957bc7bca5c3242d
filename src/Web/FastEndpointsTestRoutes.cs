namespace Api.Web;

internal static class FastEndpointsTestRoutes
{
    private const string TestUrlCache = "/_test_url_cache_";

    /// <summary>
    /// FastEndpoints maps an anonymous <c>GET /_test_url_cache_</c> listing every route, in every
    /// environment and with no switch to turn it off. Its in-process test helpers do not need it,
    /// so it answers 404 everywhere.
    /// </summary>
    public static WebApplication BlockFastEndpointsTestRoutes(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            if (context.Request.Path.StartsWithSegments(TestUrlCache, StringComparison.OrdinalIgnoreCase))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(context);
        });
        return app;
    }
}
