namespace Osprey.Detection.Sigma;

/// <summary>A rule as read from one YAML document, before compilation: metadata, detection and what the reader noticed.</summary>
internal sealed record SigmaRuleDocument(SigmaRule Rule, SigmaDetection Detection, IReadOnlyList<string> Warnings);
