namespace Api.Features.Public;

public sealed record Response(string Message);
