namespace Osprey.Detection.Sigma;

/// <summary>How a <see cref="SigmaRequirement"/>'s keys constrain a field's value.</summary>
internal enum SigmaRequirementKind
{
    /// <summary>The value's last path segment equals one of the keys (ignoring case).</summary>
    LastSegment,

    /// <summary>The value contains one of the keys (ignoring case).</summary>
    Substring,
}
