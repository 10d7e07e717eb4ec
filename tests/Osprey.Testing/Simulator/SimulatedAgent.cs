using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Osprey.Contracts.Security;
using Osprey.Contracts.V1;

namespace Osprey.Testing.Simulator;

/// <summary>
/// An agent stand-in for tests and benchmarks: enrolls over real TLS (pin checked, CSR signed with its own
/// P-256 key) and then talks mutual TLS with the certificate it was issued.
/// </summary>
public sealed class SimulatedAgent : IDisposable
{
    public const string ProtobufType = "application/x-protobuf";
    private readonly HttpClient _http;

    private SimulatedAgent(string agentId, X509Certificate2 certificate, HttpClient http, PinnedServerValidator validator)
    {
        AgentId = agentId;
        Certificate = certificate;
        _http = http;
        Validator = validator;
    }

    public string AgentId { get; }

    public X509Certificate2 Certificate { get; }

    public PinnedServerValidator Validator { get; }

    public HttpClient Http => _http;

    /// <summary>Enrolls a new agent; throws EnrollmentException with the node's message on refusal.</summary>
    public static async Task<SimulatedAgent> EnrollAsync(Uri server, string token, string pin, string hostName, CancellationToken cancellationToken)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest($"CN={hostName}", key, HashAlgorithmName.SHA256).CreateSigningRequest();
        var request = new EnrollRequest
        {
            Token = token,
            CsrDer = ByteString.CopyFrom(csr),
            Device = SyntheticEvents.Device(hostName),
        };
        var validator = new PinnedServerValidator(pin);
        using var enrollClient = CreateClient(server, validator, null);
        HttpResponseMessage response;
        try
        {
            response = await PostAsync(enrollClient, "/agent/v1/enroll", request, gzip: false, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (validator.LastError is not null)
        {
            throw new HttpRequestException($"refused the node: {validator.LastError}", e);
        }
        using var _ = response;
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new AgentApiException(response.StatusCode, System.Text.Encoding.UTF8.GetString(body));
        }
        var reply = EnrollResponse.Parser.ParseFrom(body);
        using var issued = X509CertificateLoader.LoadCertificate(reply.CertificateDer.ToByteArray());
        using var withKey = issued.CopyWithPrivateKey(key);
        var certificate = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        return new SimulatedAgent(reply.AgentId, certificate, CreateClient(server, validator, certificate), validator);
    }

    /// <summary>An agent that presents the given certificate (for tests of foreign or revoked certificates).</summary>
    public static SimulatedAgent WithCertificate(Uri server, string pin, string agentId, X509Certificate2 certificate)
    {
        var validator = new PinnedServerValidator(pin);
        return new SimulatedAgent(agentId, certificate, CreateClient(server, validator, certificate), validator);
    }

    public static HttpClient CreateClient(Uri server, PinnedServerValidator validator, X509Certificate2? certificate)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions =
            {
                RemoteCertificateValidationCallback = validator.Validate,
                ClientCertificates = certificate is null ? null : new X509CertificateCollection { certificate },
                LocalCertificateSelectionCallback = certificate is null ? null : (_, _, _, _, _) => certificate,
            },
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            EnableMultipleHttp2Connections = true,
        };
        return new HttpClient(handler)
        {
            BaseAddress = server,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            Timeout = TimeSpan.FromMinutes(5),
        };
    }

    public async Task<TelemetryAck> SendAsync(IEnumerable<Event> events, bool gzip, CancellationToken cancellationToken)
    {
        var batch = new TelemetryBatch();
        batch.Events.AddRange(events);
        return TelemetryAck.Parser.ParseFrom(await CallAsync("/agent/v1/telemetry", batch, gzip, cancellationToken).ConfigureAwait(false));
    }

    public async Task<SyncResponse> SyncAsync(SyncRequest request, CancellationToken cancellationToken) =>
        SyncResponse.Parser.ParseFrom(await CallAsync("/agent/v1/sync", request, false, cancellationToken).ConfigureAwait(false));

    /// <summary>Posts a message and returns the reply body; throws AgentApiException on an error status.</summary>
    public async Task<byte[]> CallAsync(string path, IMessage message, bool gzip, CancellationToken cancellationToken)
    {
        using var response = await PostAsync(_http, path, message, gzip, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new AgentApiException(response.StatusCode, System.Text.Encoding.UTF8.GetString(body));
        }
        return body;
    }

    /// <summary>Posts raw bytes (for malformed-input tests).</summary>
    public async Task<(HttpStatusCode Status, string Body)> PostRawAsync(string path, byte[] content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(content) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(ProtobufType);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Posts bytes gzip-compressed (for decompression-bomb tests).</summary>
    public async Task<(HttpStatusCode Status, string Body)> PostGzipAsync(string path, byte[] content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(Gzip(content)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(ProtobufType);
        request.Content.Headers.ContentEncoding.Add("gzip");
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var compressed = new MemoryStream();
        using (var zip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            zip.Write(bytes);
        }
        return compressed.ToArray();
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string path, IMessage message, bool gzip, CancellationToken cancellationToken)
    {
        byte[] bytes = message.ToByteArray();
        if (gzip)
        {
            bytes = Gzip(bytes);
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(ProtobufType);
        if (gzip)
        {
            request.Content.Headers.ContentEncoding.Add("gzip");
        }
        return await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _http.Dispose();
        Certificate.Dispose();
    }
}
