namespace Api.Features.PrivateScoped;

internal sealed record Response(string Message);
