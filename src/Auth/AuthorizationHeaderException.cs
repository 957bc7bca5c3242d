namespace Api.Auth;

/// <summary>The <c>Authorization</c> header says Bearer but breaks RFC 6750 §2.1's syntax.</summary>
internal sealed class AuthorizationHeaderException(string message) : Exception(message);
