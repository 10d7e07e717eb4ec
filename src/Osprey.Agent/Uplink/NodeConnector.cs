using System.Net;
using System.Net.Http.Headers;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Google.Protobuf;
using Osprey.Contracts.Security;

namespace Osprey.Agent.Uplink;

/// <summary>Where and how the agent reaches its nodes: the ordered node list, the pin, the proxy.</summary>
public sealed record UplinkSettings(IReadOnlyList<string> Servers, string Pin, string? ProxyUrl, string? ProxyUser, string? ProxyPassword);

/// <summary>
/// Talks to the node list over mutual TLS: every connection is checked against the pin, requests go to the
/// node in use and fail over to the next ones in order when it cannot be reached. After a failover the
/// first node is tried again every few minutes (it is the preferred one).
/// </summary>
public sealed class NodeConnector : IDisposable
{
    public const string ProtobufType = "application/x-protobuf";
    private static readonly TimeSpan PreferFirstAfter = TimeSpan.FromMinutes(5);
    private readonly UplinkSettings _settings;
    private readonly ConnectionStatus _status;
    private readonly TimeProvider _time;
    private readonly (HttpClient Client, PinnedServerValidator Validator)[] _nodes;
    private int _current;
    private DateTimeOffset _failedOverAt;

    public NodeConnector(UplinkSettings settings, X509Certificate2? clientCertificate, ConnectionStatus status, TimeProvider time)
    {
        _settings = settings;
        _status = status;
        _time = time;
        _nodes = [.. settings.Servers.Select(server => Create(new Uri(server), clientCertificate))];
    }

    public string CurrentServer => _settings.Servers[_current];

    /// <summary>Posts a protobuf message and returns the reply body, failing over across the node list.</summary>
    public async Task<byte[]> PostAsync(string path, IMessage message, TimeSpan timeout, CancellationToken cancellationToken) =>
        await PostAsync(path, message.ToByteArray(), timeout, cancellationToken).ConfigureAwait(false);

    public Task<byte[]> PostAsync(string path, byte[] body, TimeSpan timeout, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, path, body, ProtobufType, [], timeout, cancellationToken);

    /// <summary>Sends a body with the given method, content type and extra headers; the reply body, failing over across the node list.</summary>
    public async Task<byte[]> SendAsync(
        HttpMethod method, string path, ReadOnlyMemory<byte> body, string contentType, IReadOnlyList<KeyValuePair<string, string>> headers,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_current != 0 && _time.GetUtcNow() - _failedOverAt > PreferFirstAfter)
        {
            _current = 0;
        }
        var failures = new List<string>();
        for (var attempt = 0; attempt < _nodes.Length; attempt++)
        {
            var index = (_current + attempt) % _nodes.Length;
            var server = _settings.Servers[index];
            var (client, validator) = _nodes[index];
            using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeoutSource.CancelAfter(timeout);
            try
            {
                using var request = new HttpRequestMessage(method, path) { Content = new ReadOnlyMemoryContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
                foreach (var (name, value) in headers)
                {
                    request.Headers.TryAddWithoutValidation(name, value);
                }
                using var response = await client.SendAsync(request, timeoutSource.Token).ConfigureAwait(false);
                var reply = await response.Content.ReadAsByteArrayAsync(timeoutSource.Token).ConfigureAwait(false);
                if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                {
                    var detail = ProblemDetail(reply);
                    _status.CertificateFailed("client", server, detail);
                    throw new NodeRefusedException(response.StatusCode, detail);
                }
                if ((int)response.StatusCode >= 500)
                {
                    failures.Add($"{server}: {(int)response.StatusCode} {ProblemDetail(reply)}");
                    _status.Failed(server, failures[^1]);
                    continue;
                }
                if (!response.IsSuccessStatusCode)
                {
                    throw new NodeRefusedException(response.StatusCode, ProblemDetail(reply));
                }
                if (index != _current)
                {
                    _current = index;
                    _failedOverAt = _time.GetUtcNow();
                }
                _status.Connected(server);
                return reply;
            }
            catch (HttpRequestException e) when (validator.LastError is { } pinError && IsTlsFailure(e))
            {
                _status.CertificateFailed("server", server, pinError);
                failures.Add($"{server}: {pinError}");
            }
            catch (HttpRequestException e)
            {
                failures.Add($"{server}: {Describe(e)}");
                _status.Failed(server, Describe(e));
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                failures.Add($"{server}: no answer within {timeout.TotalSeconds:0} s");
                _status.Failed(server, failures[^1]);
            }
        }
        throw new NodeUnavailableException(string.Join("; ", failures));
    }

    private static bool IsTlsFailure(HttpRequestException e) =>
        e.InnerException is AuthenticationException || e.HttpRequestError == HttpRequestError.SecureConnectionError;

    private static string Describe(HttpRequestException e) =>
        e.InnerException is { } inner && inner.Message != e.Message ? $"{e.Message} ({inner.Message})" : e.Message;

    /// <summary>The "detail" of a ProblemDetails reply, or the start of whatever the node sent.</summary>
    private static string ProblemDetail(byte[] reply)
    {
        try
        {
            using var json = JsonDocument.Parse(reply);
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String)
            {
                return detail.GetString()!;
            }
        }
        catch (JsonException)
        {
        }
        var text = System.Text.Encoding.UTF8.GetString(reply.AsSpan(0, Math.Min(reply.Length, 300)));
        return text.Length == 0 ? "no details" : text;
    }

    private (HttpClient, PinnedServerValidator) Create(Uri server, X509Certificate2? certificate)
    {
        var validator = new PinnedServerValidator(_settings.Pin);
        var handler = new SocketsHttpHandler
        {
            SslOptions =
            {
                RemoteCertificateValidationCallback = validator.Validate,
                ClientCertificates = certificate is null ? null : new X509CertificateCollection { certificate },
                LocalCertificateSelectionCallback = certificate is null ? null : (_, _, _, _, _) => certificate,
            },
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionLifetime = TimeSpan.FromMinutes(15),
            EnableMultipleHttp2Connections = true,
            UseProxy = _settings.ProxyUrl is not null,
            Proxy = _settings.ProxyUrl is null ? null : new WebProxy(_settings.ProxyUrl)
            {
                Credentials = _settings.ProxyUser is null ? null : new NetworkCredential(_settings.ProxyUser, _settings.ProxyPassword ?? ""),
            },
            AutomaticDecompression = DecompressionMethods.None,
        };
        var client = new HttpClient(handler)
        {
            BaseAddress = server,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        return (client, validator);
    }

    public void Dispose()
    {
        foreach (var (client, _) in _nodes)
        {
            client.Dispose();
        }
    }
}
