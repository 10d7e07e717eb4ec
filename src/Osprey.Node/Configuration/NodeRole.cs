namespace Osprey.Node.Configuration;

/// <summary>The place of a node in a distributed installation.</summary>
public enum NodeRole
{
    Standalone,
    Primary,
    Secondary,
}
