namespace Osprey.Node.Security;

/// <summary>The node's data directory or configuration is missing, damaged or invalid.</summary>
public sealed class NodeConfigurationException : Exception
{
    public NodeConfigurationException(string message) : base(message) { }

    public NodeConfigurationException(string message, Exception inner) : base(message, inner) { }
}
