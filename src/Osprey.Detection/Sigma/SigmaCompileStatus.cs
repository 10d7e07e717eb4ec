namespace Osprey.Detection.Sigma;

/// <summary>What became of one Sigma rule: compiled, valid but beyond what Osprey's events carry, or not a valid rule.</summary>
public enum SigmaCompileStatus
{
    /// <summary>The rule compiled and can be evaluated against Osprey events.</summary>
    Compiled,

    /// <summary>A valid rule Osprey cannot evaluate (log source, field, record type or feature it does not have); the reason says which.</summary>
    Unsupported,

    /// <summary>Not a valid Sigma rule: broken YAML, a missing section, an unknown modifier, a bad regular expression, ….</summary>
    Invalid,
}
