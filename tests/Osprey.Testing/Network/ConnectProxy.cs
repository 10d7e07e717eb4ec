using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Osprey.Testing.Network;

/// <summary>
/// An HTTP CONNECT proxy on loopback that requires Basic credentials (answering 407 without them, as a
/// corporate proxy does) and records every tunnel it opened.
/// </summary>
public sealed class ConnectProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _expectedAuthorization;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Task> _connections = [];
    private readonly Task _accepting;
    private int _refused;

    public ConnectProxy(string user, string password)
    {
        _expectedAuthorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
        _listener.Start();
        _accepting = AcceptAsync(_stop.Token);
    }

    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>Targets ("host:port") of the tunnels opened with the right credentials.</summary>
    public ConcurrentQueue<string> Tunnels { get; } = new();

    /// <summary>CONNECT requests answered 407 (no or wrong credentials).</summary>
    public int Refused => Volatile.Read(ref _refused);

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _connections.Add(ServeAsync(client, cancellationToken));
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                while (await ReadHeadAsync(stream, cancellationToken).ConfigureAwait(false) is { } head)
                {
                    var lines = head.Split("\r\n");
                    var request = lines[0].Split(' ');
                    var authorization = lines.Skip(1).Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase)).Select(p => p[1].Trim()).FirstOrDefault();
                    if (request is not ["CONNECT", var target, _])
                    {
                        await WriteAsync(stream, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", cancellationToken).ConfigureAwait(false);
                        return;
                    }
                    if (authorization != _expectedAuthorization)
                    {
                        Interlocked.Increment(ref _refused);
                        await WriteAsync(stream, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"osprey-test\"\r\nContent-Length: 0\r\n\r\n", cancellationToken).ConfigureAwait(false);
                        continue;
                    }
                    var colon = target.LastIndexOf(':');
                    using var upstream = new TcpClient();
                    await upstream.ConnectAsync(target[..colon], int.Parse(target[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
                    Tunnels.Enqueue(target);
                    await WriteAsync(stream, "HTTP/1.1 200 Connection established\r\n\r\n", cancellationToken).ConfigureAwait(false);
                    var remote = upstream.GetStream();
                    await Task.WhenAny(stream.CopyToAsync(remote, cancellationToken), remote.CopyToAsync(stream, cancellationToken)).ConfigureAwait(false);
                    return;
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
            }
        }
    }

    /// <summary>The request line and headers, up to the blank line; null when the client closed first.</summary>
    private static async Task<string?> ReadHeadAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (head is not [.., '\r', '\n', '\r', '\n'])
        {
            if (await stream.ReadAsync(one, cancellationToken).ConfigureAwait(false) == 0 || head.Length > 16_384)
            {
                return null;
            }
            head.Append((char)one[0]);
        }
        return head.ToString(0, head.Length - 4);
    }

    private static Task WriteAsync(NetworkStream stream, string text, CancellationToken cancellationToken) =>
        stream.WriteAsync(Encoding.ASCII.GetBytes(text), cancellationToken).AsTask();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _accepting.ConfigureAwait(false);
        await Task.WhenAll(_connections).ConfigureAwait(false);
        _stop.Dispose();
    }
}
