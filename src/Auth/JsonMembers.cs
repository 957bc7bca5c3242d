using System.Text.Json;

namespace Api.Auth;

/// <summary>
/// String members of the JSON objects the API reads (proofs, their keys, token claims, discovery
/// documents), looked up by UTF-8 name: a member of any other JSON type counts as absent.
/// </summary>
internal static class JsonMembers
{
    /// <summary>The string member <paramref name="name"/> of <paramref name="json"/> (an object); null when it is absent or not a string.</summary>
    public static string? StringOf(this JsonElement json, ReadOnlySpan<byte> name) =>
        json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>Whether the member <paramref name="name"/> of <paramref name="json"/> is the string <paramref name="expected"/>, compared without copying it out.</summary>
    public static bool HasString(this JsonElement json, ReadOnlySpan<byte> name, string expected) =>
        json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.ValueEquals(expected);
}
