using System.Net;
using System.Net.Http.Headers;
using System.Security.Authentication;
using System.Text;
using System.Text.Json;
using Osprey.Contracts.Security;

namespace Osprey.Cli;

/// <summary>JSON over HTTPS to the operator API, with the node's CA pinned and ProblemDetails turned into errors.</summary>
public sealed class ApiClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly PinnedServerValidator _validator;
    private readonly Uri _server;

    public ApiClient(ConnectionSettings settings)
    {
        _server = settings.Server;
        try
        {
            _validator = new PinnedServerValidator(settings.Pin);
        }
        catch (FormatException e)
        {
            throw new CliException(e.Message, 2);
        }
        var handler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = _validator.Validate },
            ConnectTimeout = TimeSpan.FromSeconds(15),
        };
        _http = new HttpClient(handler)
        {
            BaseAddress = settings.Server,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            Timeout = TimeSpan.FromMinutes(10),
        };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", settings.Token);
    }

    public Task<JsonElement> GetAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, path, null, cancellationToken);

    public Task<JsonElement> PostAsync(string path, object? body, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, path, body, cancellationToken);

    public Task<JsonElement> PutAsync(string path, object? body, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Put, path, body, cancellationToken);

    public Task<JsonElement> DeleteAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, path, null, cancellationToken);

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body, body.GetType(), CliJson.Options), Encoding.UTF8, "application/json");
        }
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(text))
        {
            return default;
        }
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>Sends any request (binary bodies, streamed replies); a successful response for the caller to dispose, or a CliException.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (_validator.LastError is not null || e.InnerException is AuthenticationException)
        {
            throw new CliException($"refusing the node at {_server}: {_validator.LastError ?? e.InnerException?.Message}");
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"cannot reach the node at {_server}: {e.Message}");
        }
        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                throw new CliException(ProblemMessage(response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)));
            }
        }
        return response;
    }

    private static string ProblemMessage(HttpStatusCode status, string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String)
            {
                var title = root.TryGetProperty("title", out var t) ? t.GetString() : null;
                return $"{title ?? status.ToString()} ({(int)status}): {detail.GetString()}";
            }
        }
        catch (JsonException)
        {
        }
        return $"the node answered {(int)status} {status}";
    }

    public void Dispose() => _http.Dispose();
}
