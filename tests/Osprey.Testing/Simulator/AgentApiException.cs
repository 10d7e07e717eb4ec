using System.Net;

namespace Osprey.Testing.Simulator;

/// <summary>The node refused an agent API call; Body holds its ProblemDetails.</summary>
public sealed class AgentApiException(HttpStatusCode status, string body) : Exception($"{(int)status} {status}: {body}")
{
    public HttpStatusCode Status { get; } = status;

    public string Body { get; } = body;
}
