namespace Api.Features.Private;

public sealed record Response(string Message);
