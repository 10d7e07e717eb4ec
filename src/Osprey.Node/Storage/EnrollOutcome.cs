namespace Osprey.Node.Storage;

/// <summary>Why an enrollment token was or was not accepted.</summary>
public enum EnrollOutcome
{
    Accepted,
    UnknownToken,
    Expired,
    UsedUp,
    Revoked,
}
