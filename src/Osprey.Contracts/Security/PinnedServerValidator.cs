using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Osprey.Contracts.Security;

/// <summary>
/// Validates a node's TLS certificate against a pinned CA public key: the CA embedded in the leaf
/// (NodeCaExtension) or a presented chain certificate must match the pin, and the leaf must chain to it.
/// </summary>
public sealed class PinnedServerValidator(string pin)
{
    private readonly string _pin = CertificatePin.Normalize(pin);

    /// <summary>The reason the last rejected connection was refused; null when the last one was accepted.</summary>
    public string? LastError { get; private set; }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        LastError = Check(certificate as X509Certificate2 ?? (certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData())), chain);
        return LastError is null;
    }

    public string? Check(X509Certificate2? leaf, X509Chain? presented)
    {
        if (leaf is null)
        {
            return "the node presented no certificate";
        }
        var candidates = new List<X509Certificate2> { leaf };
        if (NodeCaExtension.Read(leaf) is { } embedded)
        {
            candidates.Add(embedded);
        }
        if (presented is not null)
        {
            candidates.AddRange(presented.ChainElements.Select(e => e.Certificate));
            candidates.AddRange(presented.ChainPolicy.ExtraStore);
        }
        var root = candidates.FirstOrDefault(c => string.Equals(CertificatePin.Compute(c), _pin, StringComparison.Ordinal));
        if (root is null)
        {
            return $"the node's certificate does not match the pinned CA key {_pin} (presented {CertificatePin.Compute(leaf)})";
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        if (!chain.Build(leaf))
        {
            var status = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()));
            return $"the node's certificate does not chain to the pinned CA: {status}";
        }
        return null;
    }
}
