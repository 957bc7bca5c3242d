using Microsoft.IdentityModel.Tokens;

namespace Api.Auth.DPoP;

/// <summary>A request refused by a DPoP rule, carrying the <see cref="DPoPProofFailure"/> that explains it.</summary>
internal sealed class DPoPRefusedException(DPoPProofFailure failure) : SecurityTokenValidationException(failure.Description)
{
    public DPoPProofFailure Failure { get; } = failure;
}
