using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Osprey.Contracts.Security;
using Osprey.Node.Configuration;
using Osprey.Node.Security;

namespace Osprey.Node.Pki;

/// <summary>The node's own CA: issues its TLS certificate and the agents' client certificates.</summary>
public sealed class NodeCertificateAuthority : IDisposable
{
    private static readonly byte[] CaKeyLabel = Encoding.UTF8.GetBytes("osprey/ca-key/v1");
    private static readonly byte[] ServerKeyLabel = Encoding.UTF8.GetBytes("osprey/server-key/v1");
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    private readonly ECDsa _key;

    private NodeCertificateAuthority(X509Certificate2 certificate, ECDsa key)
    {
        Certificate = certificate;
        _key = key;
        Pin = CertificatePin.Compute(certificate);
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>SHA-256 of the CA's public key; agents and operators pin it.</summary>
    public string Pin { get; }

    /// <summary>Creates a new CA and its node TLS certificate in the data directory.</summary>
    public static NodeCertificateAuthority Create(NodePaths paths, SecretBox secrets, string nodeName, IPEndPoint listen, TimeProvider time)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=Osprey CA {nodeName}, O=Osprey", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = time.GetUtcNow();
        var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(20));
        File.WriteAllText(paths.CaCertificate, certificate.ExportCertificatePem());
        SecureFile.WriteAllBytes(paths.CaKey, secrets.Seal(key.ExportPkcs8PrivateKey(), CaKeyLabel));
        var ca = new NodeCertificateAuthority(certificate, key);
        ca.IssueServerCertificate(paths, secrets, listen, time);
        return ca;
    }

    public static NodeCertificateAuthority Load(NodePaths paths, SecretBox secrets)
    {
        try
        {
            var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(paths.CaCertificate));
            var key = ECDsa.Create();
            key.ImportPkcs8PrivateKey(secrets.Open(File.ReadAllBytes(paths.CaKey), CaKeyLabel), out _);
            return new NodeCertificateAuthority(certificate, key);
        }
        catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException)
        {
            throw new NodeConfigurationException($"cannot load the node CA from {paths.DataDir}: {e.Message}", e);
        }
    }

    /// <summary>Loads the node TLS certificate with its private key.</summary>
    public static X509Certificate2 LoadServerCertificate(NodePaths paths, SecretBox secrets)
    {
        try
        {
            var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(paths.ServerCertificate));
            using var key = ECDsa.Create();
            key.ImportPkcs8PrivateKey(secrets.Open(File.ReadAllBytes(paths.ServerKey), ServerKeyLabel), out _);
            using var withKey = certificate.CopyWithPrivateKey(key);
            // Round-trip through PKCS#12 so SslStream on Linux can use the ephemeral key.
            return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException)
        {
            throw new NodeConfigurationException($"cannot load the node TLS certificate from {paths.DataDir}: {e.Message}", e);
        }
    }

    private void IssueServerCertificate(NodePaths paths, SecretBox secrets, IPEndPoint listen, TimeProvider time)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={listen.Address}, O=Osprey", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(listen.Address);
        if (IPAddress.IsLoopback(listen.Address) || listen.Address.Equals(IPAddress.Any))
        {
            names.AddDnsName("localhost");
            names.AddIpAddress(IPAddress.Loopback);
        }
        names.AddDnsName(Environment.MachineName);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuthOid)], false));
        request.CertificateExtensions.Add(NodeCaExtension.Create(Certificate));
        var now = time.GetUtcNow();
        using var certificate = Sign(request, now.AddMinutes(-5), now.AddYears(5));
        File.WriteAllText(paths.ServerCertificate, certificate.ExportCertificatePem());
        SecureFile.WriteAllBytes(paths.ServerKey, secrets.Seal(key.ExportPkcs8PrivateKey(), ServerKeyLabel));
    }

    /// <summary>Issues an agent's client certificate for a verified CSR; the agent ID is the subject.</summary>
    public X509Certificate2 IssueAgentCertificate(CertificateRequest csr, string agentId, DateTimeOffset now)
    {
        var request = new CertificateRequest(new X500DistinguishedName($"CN={agentId}, O=Osprey agents"), csr.PublicKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ClientAuthOid)], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddUri(new Uri($"urn:osprey:agent:{agentId}"));
        request.CertificateExtensions.Add(names.Build());
        return Sign(request, now.AddMinutes(-5), now.AddYears(2));
    }

    /// <summary>Checks a CSR's signature and key type; returns the parsed request or an error message.</summary>
    public static (CertificateRequest? Request, string? Error) ParseAgentCsr(byte[] der)
    {
        CertificateRequest request;
        try
        {
            request = CertificateRequest.LoadSigningRequest(der, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default);
        }
        catch (Exception e) when (e is CryptographicException or AsnContentException or ArgumentException)
        {
            return (null, $"the certificate signing request is not a valid signed PKCS#10 request: {e.Message}");
        }
        using var key = request.PublicKey.GetECDsaPublicKey();
        if (key is null || key.KeySize != 256)
        {
            return (null, "the certificate signing request must carry an ECDSA P-256 public key");
        }
        return (request, null);
    }

    /// <summary>True when the certificate was signed by this CA and is valid at the given time.</summary>
    public bool Issued(X509Certificate2 certificate, DateTimeOffset now, out string? error)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ClientAuthOid));
        if (chain.Build(certificate))
        {
            error = null;
            return true;
        }
        error = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()));
        return false;
    }

    private X509Certificate2 Sign(CertificateRequest request, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        return request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), notBefore, notAfter, serial);
    }

    public void Dispose()
    {
        _key.Dispose();
        Certificate.Dispose();
    }
}
