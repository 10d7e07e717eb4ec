using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Osprey.Agent.Configuration;
using Osprey.Agent.Security;
using Osprey.Agent.Sensors.Processes;
using Osprey.Agent.Uplink;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Hosting;

/// <summary>
/// Enrollment: a new P-256 key, a CSR and the token go to the first node that answers (pin checked);
/// the issued certificate and key are sealed in the crypto container, the settings written to agent.json.
/// </summary>
public static class Enrollment
{
    public static async Task<string> EnrollAsync(StatePaths paths, AgentOptions options, string token, string? proxyPassword, TimeProvider time, CancellationToken cancellationToken)
    {
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new AgentConfigurationException(string.Join("; ", problems));
        }
        Directory.CreateDirectory(paths.Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(paths.Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest($"CN={Environment.MachineName}", key, HashAlgorithmName.SHA256).CreateSigningRequest();
        var status = new ConnectionStatus(time);
        using var connector = new NodeConnector(new UplinkSettings(options.Servers, options.Pin, options.ProxyUrl, options.ProxyUser, proxyPassword), null, status, time);
        var host = new HostInfo("", ProcessIdentity.ForThisBoot(""), time);
        var request = new EnrollRequest { Token = token, CsrDer = ByteString.CopyFrom(csr), Device = host.DeviceInfo(options.Servers[0]) };
        var reply = EnrollResponse.Parser.ParseFrom(await connector.PostAsync("/agent/v1/enroll", request, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false));
        using var issued = X509CertificateLoader.LoadCertificate(reply.CertificateDer.ToByteArray());
        using var withKey = issued.CopyWithPrivateKey(key);
        new AgentSecrets
        {
            AgentId = reply.AgentId,
            ClientCertificatePkcs12 = withKey.Export(X509ContentType.Pkcs12),
            ProxyPassword = proxyPassword,
            QuarantineKey = RandomNumberGenerator.GetBytes(32),
        }.Save(paths.SecretKey, paths.Secrets);
        AgentOptionsFile.Save(paths.Options, options);
        return reply.AgentId;
    }
}
