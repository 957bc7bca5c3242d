namespace Api.Features.Public;

internal sealed record Response(string Message);
