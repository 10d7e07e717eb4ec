using System.Net;

namespace Osprey.Agent.Uplink;

/// <summary>No node in the list could be reached (transport or TLS failure on every one); the message names each failure.</summary>
public sealed class NodeUnavailableException(string message) : Exception(message);

/// <summary>A node answered and refused the request (an HTTP error status with its ProblemDetails message).</summary>
public sealed class NodeRefusedException(HttpStatusCode status, string detail) : Exception($"the node refused the request ({(int)status}): {detail}")
{
    public HttpStatusCode Status { get; } = status;

    public string Detail { get; } = detail;
}
