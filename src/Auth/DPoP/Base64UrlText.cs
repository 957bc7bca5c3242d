using System.Buffers;
using System.Buffers.Text;

namespace Api.Auth.DPoP;

/// <summary>
/// base64url exactly as JWS writes it (RFC 7515 §2): the URL-safe alphabet, no padding, no
/// whitespace, and unused trailing bits zero, so that each byte string has one spelling.
/// <see cref="Base64Url"/> itself also skips padding and whitespace, which no proof or nonce we
/// accept may contain.
/// </summary>
internal static class Base64UrlText
{
    private static readonly SearchValues<char> Alphabet =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    /// <summary>The bytes <paramref name="text"/> encodes; null when it is not strict base64url.</summary>
    public static byte[]? Decode(ReadOnlySpan<char> text)
    {
        var bytes = new byte[Base64Url.GetMaxDecodedLength(text.Length)];
        return TryDecode(text, bytes, out var written) ? bytes[..written] : null;
    }

    /// <summary>
    /// Decodes <paramref name="text"/> into <paramref name="destination"/>, which holds at least
    /// <see cref="Base64Url.GetMaxDecodedLength"/> bytes; false when it is not strict base64url.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<char> text, Span<byte> destination, out int written)
    {
        written = 0;
        return !text.ContainsAnyExcept(Alphabet)
            && Base64Url.DecodeFromChars(text, destination, out var consumed, out written) == OperationStatus.Done
            && consumed == text.Length;
    }
}
