namespace Osprey.Detection.Sigma;

/// <summary>The three kinds of YAML node a Sigma rule is made of.</summary>
internal enum SigmaYamlNodeKind
{
    Scalar,
    Sequence,
    Mapping,
}
