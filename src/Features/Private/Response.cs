namespace Api.Features.Private;

internal sealed record Response(string Message);
