using System.Text;

namespace Api.Tests.TestKit;

/// <summary>
/// One <c>WWW-Authenticate</c> challenge, parsed per RFC 9110 §11.6.1: the scheme and its
/// auth-params (<c>error</c>, <c>error_description</c>, <c>scope</c> for Bearer, RFC 6750 §3).
/// Parsing instead of comparing strings lets a test say which part it cares about.
/// </summary>
public sealed record WwwAuthenticate(string Raw, string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public string? Error => Parameters.GetValueOrDefault("error");

    public string? ErrorDescription => Parameters.GetValueOrDefault("error_description");

    public string? Scope => Parameters.GetValueOrDefault("scope");

    /// <summary>The response's one <c>WWW-Authenticate</c> header, exactly as it was sent.</summary>
    public static WwwAuthenticate From(HttpResponseMessage response)
    {
        Assert.True(
            response.Headers.NonValidated.TryGetValues("WWW-Authenticate", out var values),
            $"The {(int)response.StatusCode} response has no WWW-Authenticate header.");
        return Parse(Assert.Single(values));
    }

    /// <summary>
    /// The response's one <c>WWW-Authenticate</c> header as sent, unparsed: for an answer that
    /// offers several challenges at once (<c>Bearer, DPoP algs="..."</c>).
    /// </summary>
    public static string RawOf(HttpResponseMessage response)
    {
        Assert.True(
            response.Headers.NonValidated.TryGetValues("WWW-Authenticate", out var values),
            $"The {(int)response.StatusCode} response has no WWW-Authenticate header.");
        return Assert.Single(values);
    }

    /// <summary>The challenges of a request without credentials while Bearer and DPoP are both accepted (RFC 9449 §7.1).</summary>
    public const string NoCredentials = "Bearer, DPoP algs=\"ES256 ES384 PS256 RS256\"";

    /// <summary>Parses <c>scheme [ auth-param *( "," auth-param ) ]</c>; throws on anything else.</summary>
    public static WwwAuthenticate Parse(string value)
    {
        var reader = new Reader(value);
        var scheme = reader.Token();
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        reader.SkipSpaces();
        while (!reader.AtEnd)
        {
            var name = reader.Token();
            reader.SkipSpaces();
            reader.Expect('=');
            reader.SkipSpaces();
            var parameterValue = reader.Peek == '"' ? reader.QuotedString() : reader.Token();
            if (!parameters.TryAdd(name, parameterValue))
            {
                throw new FormatException($"Parameter '{name}' appears twice in '{value}'.");
            }

            reader.SkipSpaces();
            if (!reader.AtEnd)
            {
                reader.Expect(',');
                reader.SkipSpaces();
            }
        }

        return new(value, scheme, parameters);
    }

    private ref struct Reader(string text)
    {
        private int position;

        public readonly bool AtEnd => position >= text.Length;

        public readonly char Peek => AtEnd ? '\0' : text[position];

        public void SkipSpaces()
        {
            while (!AtEnd && text[position] is ' ' or '\t')
            {
                position++;
            }
        }

        public void Expect(char c)
        {
            if (Peek != c)
            {
                throw new FormatException($"Expected '{c}' at {position} in '{text}'.");
            }

            position++;
        }

        /// <summary>RFC 9110 token (tchar); token68 values of other schemes are not needed here.</summary>
        public string Token()
        {
            var start = position;
            while (!AtEnd && (char.IsAsciiLetterOrDigit(text[position]) || "!#$%&'*+-.^_`|~".Contains(text[position], StringComparison.Ordinal)))
            {
                position++;
            }

            return position > start ? text[start..position] : throw new FormatException($"Expected a token at {position} in '{text}'.");
        }

        public string QuotedString()
        {
            Expect('"');
            var value = new StringBuilder();
            while (!AtEnd && text[position] != '"')
            {
                if (text[position] == '\\')
                {
                    position++;
                }

                if (!AtEnd)
                {
                    value.Append(text[position++]);
                }
            }

            Expect('"');
            return value.ToString();
        }
    }
}
