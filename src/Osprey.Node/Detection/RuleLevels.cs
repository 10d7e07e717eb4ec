using Osprey.Detection.Sigma;

namespace Osprey.Node.Detection;

/// <summary>Importance and confidence of a rule as Osprey shows them, from what a Sigma rule says about itself.</summary>
public static class RuleLevels
{
    /// <summary>Sigma <c>level</c>: informational and low are low; no level is medium.</summary>
    public static string Importance(SigmaLevel level) => level switch
    {
        SigmaLevel.Informational or SigmaLevel.Low => "low",
        SigmaLevel.High => "high",
        SigmaLevel.Critical => "critical",
        _ => "medium",
    };

    /// <summary>Sigma <c>status</c> (how proven the rule is): stable high, test medium, experimental low; otherwise medium.</summary>
    public static string Confidence(string? status) => status?.ToLowerInvariant() switch
    {
        "stable" => "high",
        "experimental" or "deprecated" or "unsupported" => "low",
        _ => "medium",
    };
}
