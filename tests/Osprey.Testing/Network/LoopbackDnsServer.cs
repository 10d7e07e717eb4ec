using System.Net;
using System.Net.Sockets;

namespace Osprey.Testing.Network;

/// <summary>
/// A tiny DNS responder on port 53 of a loopback address (127.0.0.1, or 127.0.0.153 when something already
/// listens there), over UDP and TCP: A queries get 192.0.2.77, AAAA queries 2001:db8::77, names starting with
/// "nx-" NXDOMAIN, and names starting with "silent-" no answer at all.
/// </summary>
public sealed class LoopbackDnsServer : IAsyncDisposable
{
    public static readonly IPAddress AnswerV4 = IPAddress.Parse("192.0.2.77");
    public static readonly IPAddress AnswerV6 = IPAddress.Parse("2001:db8::77");
    private readonly UdpClient _udp;
    private readonly TcpListener _tcp;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _udpLoop;
    private readonly Task _tcpLoop;

    private LoopbackDnsServer(IPAddress address, UdpClient udp, TcpListener tcp)
    {
        Address = address;
        _udp = udp;
        _tcp = tcp;
        _udpLoop = ServeUdpAsync(_stop.Token);
        _tcpLoop = ServeTcpAsync(_stop.Token);
    }

    public IPAddress Address { get; }

    public static LoopbackDnsServer Start()
    {
        foreach (var address in new[] { IPAddress.Loopback, IPAddress.Parse("127.0.0.153") })
        {
            UdpClient? udp = null;
            try
            {
                udp = new UdpClient(new IPEndPoint(address, 53));
                var tcp = new TcpListener(address, 53);
                tcp.Start();
                return new LoopbackDnsServer(address, udp, tcp);
            }
            catch (SocketException)
            {
                udp?.Dispose();
            }
        }
        throw new InvalidOperationException("port 53 is taken on both 127.0.0.1 and 127.0.0.153");
    }

    public static byte[]? Answer(byte[] query)
    {
        var name = DnsWire.QuestionName(query);
        if (name.StartsWith("silent-", StringComparison.Ordinal))
        {
            return null;
        }
        if (name.StartsWith("nx-", StringComparison.Ordinal))
        {
            return DnsWire.Response(query, 3);
        }
        return DnsWire.QuestionType(query) switch
        {
            1 => DnsWire.Response(query, 0, (1, AnswerV4.GetAddressBytes())),
            28 => DnsWire.Response(query, 0, (28, AnswerV6.GetAddressBytes())),
            _ => DnsWire.Response(query, 0),
        };
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        _tcp.Stop();
        await Task.WhenAll(_udpLoop, _tcpLoop).ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private async Task ServeUdpAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var request = await _udp.ReceiveAsync(cancellationToken);
            if (Answer(request.Buffer) is { } response)
            {
                await _udp.SendAsync(response, request.RemoteEndPoint, cancellationToken);
            }
        }
    }

    private async Task ServeTcpAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            using var client = await _tcp.AcceptTcpClientAsync(cancellationToken);
            var stream = client.GetStream();
            var prefix = new byte[2];
            await stream.ReadExactlyAsync(prefix, cancellationToken);
            var query = new byte[prefix[0] << 8 | prefix[1]];
            await stream.ReadExactlyAsync(query, cancellationToken);
            if (Answer(query) is { } response)
            {
                await stream.WriteAsync(DnsWire.WithLengthPrefix(response), cancellationToken);
            }
            // Wait for the client to close first, so the client's socket is the one left in TIME_WAIT.
            await stream.ReadAtLeastAsync(prefix, 1, throwOnEndOfStream: false, cancellationToken);
        }
    }
}
