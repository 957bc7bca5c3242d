using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace Api.Auth;

/// <summary>
/// Gives <see cref="Auth0BearerHandler"/>'s inherited JwtBearer log lines JwtBearer's own
/// category. An authentication handler logs under its type's name, which would move them from
/// <c>Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerHandler</c> (held at Warning by
/// appsettings' <c>Microsoft.AspNetCore</c>) to ours, at Information for every refused token.
/// </summary>
internal sealed class JwtBearerLogging(ILoggerFactory loggers) : ILoggerFactory
{
    // Made once: a handler is made per request, and building a category name costs a microsecond.
    private readonly ILogger logger = loggers.CreateLogger(typeof(JwtBearerHandler).FullName!);

    public ILogger CreateLogger(string categoryName) => logger;

    public void AddProvider(ILoggerProvider provider) => loggers.AddProvider(provider);

    public void Dispose()
    {
        // The host owns the wrapped factory.
    }
}
