using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Osprey.Bench;

/// <summary>
/// Background activity for the steady benchmark, each bounded by time: file churn in a directory (create and write,
/// rename a second later, delete a second after that) and short TCP connections to a loopback listener.
/// </summary>
public static class SteadyLoad
{
    private static readonly byte[] Content = new byte[4096];

    /// <summary>Creates <paramref name="perSecond"/> files per second; as many are renamed and deleted. Returns files created.</summary>
    public static async Task<long> FileChurnAsync(string directory, int perSecond, TimeSpan duration, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / perSecond));
        var end = DateTimeOffset.UtcNow + duration;
        long created = 0;
        while (DateTimeOffset.UtcNow < end && await timer.WaitForNextTickAsync(cancellationToken))
        {
            var i = created++;
            Random.Shared.NextBytes(Content);
            await File.WriteAllBytesAsync(Name(directory, i, "new"), Content, cancellationToken);
            if (i >= perSecond)
            {
                File.Move(Name(directory, i - perSecond, "new"), Name(directory, i - perSecond, "old"));
            }
            if (i >= 2 * perSecond)
            {
                File.Delete(Name(directory, i - 2 * perSecond, "old"));
            }
        }
        return created;
    }

    /// <summary>
    /// Opens <paramref name="perSecond"/> TCP connections per second to a loopback listener, each sending a few bytes and
    /// held open for <paramref name="hold"/> (the network sensor lists sockets twice a second; a connection that opens and
    /// closes between two listings is a documented blind spot, not steady-state work). Returns connections made.
    /// </summary>
    public static async Task<long> ConnectionsAsync(int perSecond, TimeSpan hold, TimeSpan duration, CancellationToken cancellationToken)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var accepting = AcceptAsync(listener, stop.Token);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / perSecond));
        var end = DateTimeOffset.UtcNow + duration;
        var endpoint = (IPEndPoint)listener.LocalEndpoint;
        var open = new List<Task>();
        long made = 0;
        while (DateTimeOffset.UtcNow < end && await timer.WaitForNextTickAsync(cancellationToken))
        {
            var client = new TcpClient();
            await client.ConnectAsync(endpoint, cancellationToken);
            await client.GetStream().WriteAsync("osprey-steady\n"u8.ToArray(), cancellationToken);
            open.Add(CloseLaterAsync(client, hold));
            made++;
        }
        await Task.WhenAll(open);
        await stop.CancelAsync();
        await accepting;
        return made;
    }

    private static async Task CloseLaterAsync(TcpClient client, TimeSpan hold)
    {
        using (client)
        {
            await Task.Delay(hold);
        }
    }

    private static async Task AcceptAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var connection = await listener.AcceptTcpClientAsync(cancellationToken);
                connections.Add(DrainAsync(connection, cancellationToken));
            }
        }
        catch (OperationCanceledException)
        {
        }
        await Task.WhenAll(connections);
    }

    /// <summary>Reads until the client closes, so both ends close in the normal order.</summary>
    private static async Task DrainAsync(TcpClient connection, CancellationToken cancellationToken)
    {
        using (connection)
        {
            var buffer = new byte[256];
            try
            {
                while (await connection.GetStream().ReadAsync(buffer, cancellationToken) > 0)
                {
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
            }
        }
    }

    private static string Name(string directory, long i, string suffix) =>
        Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"churn-{i:000000}.{suffix}"));
}
