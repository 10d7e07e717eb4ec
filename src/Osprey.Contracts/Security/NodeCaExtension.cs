using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Osprey.Contracts.Security;

/// <summary>
/// The node's TLS certificate carries its issuing CA certificate in this non-critical extension. TLS stacks
/// do not send a self-signed root in the handshake, yet clients pin that root's key: with the CA inside the
/// leaf they can check the pin and then verify the leaf's signature against it, with nothing fetched first.
/// </summary>
public static class NodeCaExtension
{
    /// <summary>A UUID-based OID (X.667) owned by Osprey.</summary>
    public const string Oid = "2.25.325417000540332638912174384882661691249";

    public static X509Extension Create(X509Certificate2 ca) => new(new Oid(Oid), ca.RawData, critical: false);

    /// <summary>The CA certificate embedded in a node certificate, or null.</summary>
    public static X509Certificate2? Read(X509Certificate2 leaf)
    {
        var extension = leaf.Extensions[Oid];
        if (extension is null)
        {
            return null;
        }
        try
        {
            return X509CertificateLoader.LoadCertificate(extension.RawData);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
