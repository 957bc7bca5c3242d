namespace Api.Auth.SigningKeys;

/// <summary>How a fetch of an issuer's keys failed, named so an outage log can say when it changes.</summary>
internal enum KeyFetchFailure
{
    /// <summary>No connection: refused, reset, or the name did not resolve.</summary>
    Unreachable,

    /// <summary>Discovery and JWKS together took longer than <c>Auth0:MetadataTimeout</c>.</summary>
    Timeout,

    /// <summary>The issuer answered with a status other than 200.</summary>
    HttpStatus,

    /// <summary>The answer was not the JSON document expected.</summary>
    NotJson,

    /// <summary>The discovery document names another issuer, or a JWKS address that is not https.</summary>
    WrongDocument,

    /// <summary>The JWKS holds no usable signing key.</summary>
    NoKeys,

    /// <summary>Anything else; the message says what.</summary>
    Unexpected,
}

/// <summary>A fetch of discovery and JWKS that failed, with its <see cref="KeyFetchFailure"/> kind.</summary>
internal sealed class KeyFetchException(KeyFetchFailure kind, string message, Exception? inner = null) : Exception(message, inner)
{
    public KeyFetchFailure Kind { get; } = kind;
}
