namespace Api.Features.PrivateScoped;

public sealed record Response(string Message);
