namespace Api.Features.Me;

public sealed record Response(string? Subject, string? ClientId, IReadOnlyList<string> Permissions, DateTimeOffset? ExpiresAt);
