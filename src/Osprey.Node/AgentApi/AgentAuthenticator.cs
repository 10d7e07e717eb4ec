using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using Osprey.Node.Hosting;
using Osprey.Node.Pki;
using Osprey.Node.Storage;

namespace Osprey.Node.AgentApi;

/// <summary>
/// Maps a TLS client certificate to an enrolled, unrevoked agent. Chain validation is cached per
/// certificate; the agent's state is read on every request so revocation takes effect at once.
/// </summary>
public sealed class AgentAuthenticator(NodeCertificateAuthority ca, INodeStore store, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, string> _validated = new(StringComparer.Ordinal);

    public (string? AgentId, string? Error) Authenticate(X509Certificate2? certificate)
    {
        if (certificate is null)
        {
            return (null, "a client certificate issued by this node is required; enroll the agent first");
        }
        var thumbprint = certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256);
        if (!_validated.TryGetValue(thumbprint, out var agentId))
        {
            if (!ca.Issued(certificate, time.GetUtcNow(), out var chainError))
            {
                return (null, $"the client certificate was not issued by this node: {chainError}");
            }
            agentId = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
            _validated[thumbprint] = agentId;
        }
        var agent = store.GetAgent(agentId);
        if (agent is null)
        {
            return (null, $"agent {agentId} is not enrolled on this node");
        }
        if (agent.Revoked)
        {
            return (null, $"agent {agentId} has been revoked");
        }
        if (!string.Equals(agent.CertificateSerial, certificate.SerialNumber, StringComparison.OrdinalIgnoreCase))
        {
            return (null, $"the client certificate of agent {agentId} has been replaced");
        }
        if (certificate.NotAfter.ToUniversalTime() < time.GetUtcNow().UtcDateTime)
        {
            return (null, "the client certificate has expired");
        }
        return (agentId, null);
    }
}
