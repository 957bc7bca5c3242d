namespace Api.Features.Me;

internal sealed record Response(string? Subject, string? ClientId, IReadOnlyList<string> Permissions, DateTimeOffset? ExpiresAt);
