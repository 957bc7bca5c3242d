namespace Api.Features.PrivateBound;

internal sealed record Response(string Message);
