using System.Diagnostics.Metrics;

namespace Api.Auth;

/// <summary>
/// The API's own auth meter, next to .NET's <c>Microsoft.AspNetCore.Authentication</c> and
/// <c>Microsoft.AspNetCore.Authorization</c> meters: those count challenges and forbids, these say
/// why a token was refused and how the signing keys fare. Watch them live with
/// <c>dotnet-counters monitor -n Api --counters Api.Auth</c>.
/// </summary>
internal sealed class AuthMetrics
{
    public const string MeterName = "Api.Auth";

    private readonly Counter<long> validations;
    private readonly Counter<long> keyRefreshes;

    public AuthMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        validations = meter.CreateCounter<long>(
            "api.auth.token_validations", "{token}", "Tokens checked, by result (accepted, refused), reason code and issuer (a trusted one only).");
        keyRefreshes = meter.CreateCounter<long>(
            "api.auth.key_refreshes", "{refresh}", "Signing key fetches, by outcome (success, failure) and issuer.");
    }

    public void TokenAccepted(string issuer) => validations.Add(
        1, new KeyValuePair<string, object?>("result", "accepted"), new KeyValuePair<string, object?>("reason", "valid"), new KeyValuePair<string, object?>("issuer", issuer));

    /// <param name="issuer">The trusted issuer the token names; null when it names none we trust.</param>
    public void TokenRefused(string reason, string? issuer) => validations.Add(
        1, new KeyValuePair<string, object?>("result", "refused"), new KeyValuePair<string, object?>("reason", reason), new KeyValuePair<string, object?>("issuer", issuer));

    public void KeyRefresh(string issuer, bool succeeded) =>
        keyRefreshes.Add(1, new KeyValuePair<string, object?>("outcome", succeeded ? "success" : "failure"), new KeyValuePair<string, object?>("issuer", issuer));
}
