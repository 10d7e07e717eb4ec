namespace Osprey.Detection.Sigma;

/// <summary>Reads one field of the context's current event.</summary>
internal delegate SigmaFieldValue SigmaFieldReader(SigmaEvaluationContext context);
