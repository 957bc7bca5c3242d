namespace Api.Redis;

/// <summary>
/// <c>ConnectionStrings:Redis</c>: the Redis that several instances of the API share (README,
/// "Running several instances"). Unset, the API uses no Redis at all and keeps that state in
/// memory, per instance.
/// </summary>
internal sealed class RedisOptions
{
    public const string Name = "Redis";
    public const string Key = "ConnectionStrings:" + Name;
    public const string EnvironmentVariable = "ConnectionStrings__" + Name;

    /// <summary>
    /// A StackExchange.Redis configuration string: <c>host:port</c>, then options such as
    /// <c>password=...</c>, <c>ssl=true</c> or <c>asyncTimeout=...</c>, comma-separated.
    /// </summary>
    public string? ConnectionString { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(ConnectionString);
}
