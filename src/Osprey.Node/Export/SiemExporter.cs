using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Options;
using Osprey.Node.Configuration;
using Osprey.Node.Hosting;
using Osprey.Node.Storage;

namespace Osprey.Node.Export;

/// <summary>
/// Sends alerts (every change: raised, updated, assigned, closed…) and audit records to a syslog server as CEF, in the
/// order they were committed, from a cursor kept in the node database: a node restart or an unreachable server only
/// delays messages. Delivery is at least once: after a broken connection the last batch sent on it is sent again,
/// because a TCP write can succeed locally while the peer is already gone (externalId lets the SIEM drop duplicates).
/// </summary>
public sealed partial class SiemExporter(INodeStore store, IOptions<NodeOptions> options, TimeProvider time, ILogger<SiemExporter> logger) : BackgroundService
{
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);

    private readonly SyslogExportOptions _options = options.Value.Export.Syslog;
    private readonly string _hostName = Environment.MachineName;

    // Where each stream stood before the last batch written on the current connection.
    private readonly Dictionary<string, long> _beforeLastBatch = new(StringComparer.Ordinal);
    private long _alertsSent;
    private long _auditSent;
    private long _failures;

    public long AlertsSent => Interlocked.Read(ref _alertsSent);

    public long AuditSent => Interlocked.Read(ref _auditSent);

    public long Failures => Interlocked.Read(ref _failures);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        store.SetAlertChangeLog(_options.Enabled && _options.Alerts);
        if (!_options.Enabled)
        {
            return;
        }
        foreach (var stream in Streams())
        {
            if (store.ExportCursor(stream) is null)
            {
                store.SetExportCursor(stream, _options.ExportHistory ? 0 : store.ExportHead(stream), time.NowUs());
            }
        }
        var backoff = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var connection = await ConnectAsync(stoppingToken).ConfigureAwait(false);
                LogConnected(logger, _options.Host, _options.Port, _options.Protocol);
                _beforeLastBatch.Clear();
                while (!stoppingToken.IsCancellationRequested)
                {
                    if (await SendPendingAsync(connection, stoppingToken).ConfigureAwait(false) == 0)
                    {
                        await Task.Delay(IdlePoll, time, stoppingToken).ConfigureAwait(false);
                    }
                    else
                    {
                        backoff = TimeSpan.FromSeconds(1);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is IOException or SocketException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
            {
                Interlocked.Increment(ref _failures);
                // The last batch may have died with the connection: send it again on the next one.
                foreach (var (stream, position) in _beforeLastBatch)
                {
                    store.SetExportCursor(stream, position, time.NowUs());
                }
                _beforeLastBatch.Clear();
                LogFailed(logger, _options.Host, _options.Port, backoff.TotalSeconds, e);
                await Task.Delay(backoff + TimeSpan.FromMilliseconds(Random.Shared.Next(250)), time, stoppingToken).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }

    private IEnumerable<string> Streams()
    {
        if (_options.Alerts)
        {
            yield return SqliteNodeStore.AlertStream;
        }
        if (_options.Audit)
        {
            yield return SqliteNodeStore.AuditStream;
        }
    }

    /// <summary>Sends what is pending on each stream (one batch each) and moves the cursors; the number of messages sent.</summary>
    private async Task<int> SendPendingAsync(Connection connection, CancellationToken cancellationToken)
    {
        var sent = 0;
        foreach (var stream in Streams())
        {
            var from = store.ExportCursor(stream) ?? 0;
            var (messages, to) = stream == SqliteNodeStore.AlertStream ? Alerts(from) : Audit(from);
            if (messages.Count == 0)
            {
                continue;
            }
            connection.ThrowIfClosedByPeer();
            var payload = new MemoryStream();
            foreach (var message in messages)
            {
                payload.Write(Frame(message));
            }
            await connection.Stream.WriteAsync(payload.GetBuffer().AsMemory(0, (int)payload.Length), cancellationToken).ConfigureAwait(false);
            await connection.Stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            _beforeLastBatch[stream] = from;
            store.SetExportCursor(stream, to, time.NowUs());
            Interlocked.Add(ref stream == SqliteNodeStore.AlertStream ? ref _alertsSent : ref _auditSent, messages.Count);
            sent += messages.Count;
        }
        return sent;
    }

    private (List<(string Id, int Severity, string Cef)> Messages, long To) Alerts(long from)
    {
        var changes = store.AlertChangesAfter(from, _options.BatchSize);
        return ([.. changes.Select(c => ("alert", Cef.Severity(c.Alert.Importance), Cef.Alert(c.Alert, c.Change)))], changes.Count > 0 ? changes[^1].Seq : from);
    }

    private (List<(string Id, int Severity, string Cef)> Messages, long To) Audit(long from)
    {
        var records = store.AuditAfter(from, _options.BatchSize);
        return ([.. records.Select(r => ("audit", r.Status >= 400 ? 6 : 3, Cef.Audit(r)))], records.Count > 0 ? records[^1].Id : from);
    }

    /// <summary>One RFC 5424 syslog message carrying the CEF text, framed for TCP (RFC 6587).</summary>
    private byte[] Frame((string MessageId, int Severity, string Cef) message)
    {
        var syslogSeverity = message.Severity switch
        {
            >= 10 => 2,
            >= 8 => 3,
            >= 5 => 4,
            _ => 5,
        };
        var priority = (_options.Facility * 8) + syslogSeverity;
        var timestamp = time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var text = Encoding.UTF8.GetBytes($"<{priority.ToString(CultureInfo.InvariantCulture)}>1 {timestamp} {_hostName} osprey-node - {message.MessageId} - {message.Cef}");
        if (_options.Framing == "newline")
        {
            return [.. text, (byte)'\n'];
        }
        return [.. Encoding.ASCII.GetBytes(text.Length.ToString(CultureInfo.InvariantCulture) + " "), .. text];
    }

    private async Task<Connection> ConnectAsync(CancellationToken cancellationToken)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                await client.ConnectAsync(_options.Host, _options.Port, timeout.Token).ConfigureAwait(false);
            }
            Stream stream = client.GetStream();
            if (_options.Tls)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = _options.ServerName.Length > 0 ? _options.ServerName : _options.Host,
                    RemoteCertificateValidationCallback = ValidateServer,
                    ClientCertificates = _options.ClientCertificateFile.Length > 0 ? [X509Certificate2.CreateFromPemFile(_options.ClientCertificateFile)] : null,
                }, cancellationToken).ConfigureAwait(false);
            }
            return new Connection(client, stream);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private bool ValidateServer(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (_options.CaFile.Length == 0 || certificate is null)
        {
            return errors == SslPolicyErrors.None;
        }
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return false;
        }
        // Only the configured CA(s) are trusted, not the system's roots.
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        custom.ChainPolicy.CustomTrustStore.ImportFromPemFile(_options.CaFile);
        using var server = new X509Certificate2(certificate);
        return custom.Build(server);
    }

    private sealed class Connection(TcpClient client, Stream stream) : IDisposable
    {
        public Stream Stream { get; } = stream;

        /// <summary>A server that hung up shows as readable with nothing to read; writing to it would vanish.</summary>
        public void ThrowIfClosedByPeer()
        {
            if (client.Client.Poll(0, SelectMode.SelectRead) && client.Client.Available == 0)
            {
                throw new IOException("the syslog server closed the connection");
            }
        }

        public void Dispose()
        {
            Stream.Dispose();
            client.Dispose();
        }
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "SIEM export connected to {Host}:{Port} ({Protocol})")]
    private static partial void LogConnected(ILogger logger, string host, int port, string protocol);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "SIEM export to {Host}:{Port} failed; retrying in {Seconds} s (nothing is skipped)")]
    private static partial void LogFailed(ILogger logger, string host, int port, double seconds, Exception exception);
}
