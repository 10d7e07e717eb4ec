using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Osprey.Node.Export;
using Osprey.Node.Tests.Support;
using Osprey.Testing.Paths;
using static Osprey.Node.Tests.Detection.DetectionCalls;

namespace Osprey.Node.Tests.Detection;

/// <summary>Alerts and the audit log sent as CEF over syslog to a real TCP/TLS listener on loopback, parsed back field by field.</summary>
public sealed class SiemExportTests
{
    private const string Rule = """
        title: Encoded | piped shell (test)
        id: 77777777-2222-3333-4444-555555555555
        level: high
        logsource:
            product: linux
            category: process_creation
        detection:
            selection:
                CommandLine|contains: 'base64 -d'
            condition: selection
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OverTls_AlertsAndAuditArriveAsCef_WithEveryFieldEscaped()
    {
        using var pki = new TestPki();
        await using var syslog = SyslogListener.Start(pki.Server);
        await using var node = await TestNode.StartAsync(configure: o => o with
        {
            Export = new ExportOptions { Syslog = new SyslogExportOptions { Host = "127.0.0.1", Port = syslog.Port, ServerName = "localhost", CaFile = pki.CaFile } },
        });
        using var client = node.Operator();
        using var agent = await node.EnrollAsync();
        await ImportAsync(client);
        await agent.SendAsync([Exec(agent, 1, "echo a=b\\c | base64 -d | sh")], false, Ct);
        var alert = Assert.Single(await WaitForAlertsAsync(client, a => a.Count == 1));
        var alertId = alert.GetProperty("alertId").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync($"/api/v1/alerts/{alertId}/assign", new { assignee = "admin" }, Ct)).StatusCode);

        var raised = await syslog.WaitForAsync(m => m.Extension.GetValueOrDefault("externalId") == alertId && m.Extension.GetValueOrDefault("act") == "created");
        // Each change is sent with the alert as it stands when it is read, so the assignment shows on an "updated" message
        // (and on the "created" one too when that is read after the assignment).
        var assigned = await syslog.WaitForAsync(m => m.Extension.GetValueOrDefault("externalId") == alertId && m.Extension.GetValueOrDefault("act") == "updated");
        var import = await syslog.WaitForAsync(m => m.Extension.GetValueOrDefault("request") == "POST /api/v1/rules/import");

        Assert.Equal(["0", "Osprey", "Osprey EDR"], raised.Header[..3]);
        Assert.Equal("alert:sigma:77777777-2222-3333-4444-555555555555", raised.Header[4]);
        Assert.Equal("Encoded | piped shell (test)", raised.Header[5]);
        Assert.Equal("8", raised.Header[6]);
        Assert.Equal(alert.GetProperty("summary").GetString(), raised.Extension["msg"]);
        Assert.Contains("echo a=b\\c | base64 -d | sh", raised.Extension["msg"], StringComparison.Ordinal);
        Assert.Equal("sim-host", raised.Extension["shost"]);
        Assert.Equal(agent.AgentId, raised.Extension["deviceExternalId"]);
        Assert.Equal("high", raised.Custom("importance"));
        Assert.Equal("new", raised.Custom("status"));
        Assert.Equal("admin", assigned.Extension["duser"]);
        Assert.Equal("admin", import.Extension["suser"]);
        Assert.Equal("200", import.Extension["outcome"]);
        Assert.Equal("administrator", import.Custom("role"));
        Assert.Equal("3", import.Header[6]);
        Assert.StartsWith($"<{16 * 8 + 3}>1 ", raised.Syslog, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnreachableOrDroppingServer_DelaysMessages_NoneIsLost()
    {
        var port = FreePort.Next();
        await using var node = await TestNode.StartAsync(configure: o => o with
        {
            Export = new ExportOptions { Syslog = new SyslogExportOptions { Host = "127.0.0.1", Port = port, Protocol = "tcp", Framing = "newline", Alerts = false } },
        });
        using var client = node.Operator();
        // Operator actions while no server listens.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/rules?limit={i + 1}", Ct)).StatusCode);
        }
        await Task.Delay(1500, Ct);
        Assert.True(node.Services.GetRequiredService<SiemExporter>().Failures > 0, "the exporter tried and failed while no server listened");

        await using (var first = SyslogListener.Start(null, port, newline: true))
        {
            await first.WaitForAsync(m => m.Extension.GetValueOrDefault("request") == "GET /api/v1/rules", 5, TimeSpan.FromSeconds(30));
        }
        // The server went away; more actions; a new server receives them (and possibly the last batch again).
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/users?n={i}", Ct)).StatusCode);
        }
        await using var second = SyslogListener.Start(null, port, newline: true);
        await second.WaitForAsync(m => m.Extension.GetValueOrDefault("request") == "GET /api/v1/users", 3, TimeSpan.FromSeconds(90));

        var ids = second.Messages.Select(m => long.Parse(m.Extension["externalId"], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(ids.Order(), ids);
    }

    [Fact]
    public async Task AServerCertificateFromAnotherCa_IsRefused_NothingIsSent()
    {
        using var trusted = new TestPki();
        using var stranger = new TestPki();
        await using var syslog = SyslogListener.Start(stranger.Server);
        await using var node = await TestNode.StartAsync(configure: o => o with
        {
            Export = new ExportOptions { Syslog = new SyslogExportOptions { Host = "127.0.0.1", Port = syslog.Port, ServerName = "localhost", CaFile = trusted.CaFile } },
        });
        using var client = node.Operator();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/rules", Ct)).StatusCode);
        var exporter = node.Services.GetRequiredService<SiemExporter>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (exporter.Failures == 0 && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(100, Ct);
        }
        Assert.True(exporter.Failures > 0);
        Assert.Empty(syslog.Messages);
        Assert.Equal(0, exporter.AuditSent);
    }

    [Theory]
    [InlineData("host", "a b", "is not a host name")]
    [InlineData("protocol", "udp", "is not tls or tcp")]
    [InlineData("caFile", "/nonexistent/ca.pem", "no file")]
    public void BadSettings_AreRefusedAtStartUp(string field, string value, string message)
    {
        var options = field switch
        {
            "host" => new SyslogExportOptions { Host = value },
            "protocol" => new SyslogExportOptions { Host = "siem", Protocol = value },
            _ => new SyslogExportOptions { Host = "siem", CaFile = value },
        };
        Assert.Contains(options.Validate(), e => e.Contains(message, StringComparison.Ordinal));
    }

    private static async Task ImportAsync(HttpClient client)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/rules/import", new { kind = "sigma", files = new[] { new { name = "r.yml", content = Rule } } }, Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>One received message: the syslog text, the CEF header fields and the extension, unescaped.</summary>
    private sealed record CefMessage(string Syslog, string[] Header, Dictionary<string, string> Extension)
    {
        public string? Custom(string label) =>
            Extension.FirstOrDefault(e => e.Key.EndsWith("Label", StringComparison.Ordinal) && e.Value == label) is { Key: { } key }
                ? Extension.GetValueOrDefault(key[..^"Label".Length])
                : null;

        public static CefMessage Parse(string syslog)
        {
            var cef = syslog[syslog.IndexOf("CEF:", StringComparison.Ordinal)..];
            var header = new List<string>();
            var field = new StringBuilder();
            var i = 4;
            for (; header.Count < 7; i++)
            {
                if (cef[i] == '\\')
                {
                    field.Append(cef[++i]);
                }
                else if (cef[i] == '|')
                {
                    header.Add(field.ToString());
                    field.Clear();
                }
                else
                {
                    field.Append(cef[i]);
                }
            }
            var extension = new Dictionary<string, string>(StringComparer.Ordinal);
            var rest = cef[i..];
            // Keys are words followed by '='; an escaped '=' inside a value is "\=".
            var starts = new List<(int At, string Key)>();
            for (var p = 0; p < rest.Length; p++)
            {
                if (rest[p] == '=' && (p == 0 || rest[p - 1] != '\\'))
                {
                    var k = p - 1;
                    while (k >= 0 && char.IsAsciiLetterOrDigit(rest[k]))
                    {
                        k--;
                    }
                    starts.Add((k + 1, rest[(k + 1)..p]));
                }
            }
            for (var s = 0; s < starts.Count; s++)
            {
                var valueStart = starts[s].At + starts[s].Key.Length + 1;
                var valueEnd = s + 1 < starts.Count ? starts[s + 1].At - 1 : rest.Length;
                extension[starts[s].Key] = Unescape(rest[valueStart..Math.Max(valueStart, valueEnd)]);
            }
            return new CefMessage(syslog, [.. header], extension);
        }

        private static string Unescape(string value) =>
            value.Replace("\\n", "\n", StringComparison.Ordinal).Replace("\\r", "\r", StringComparison.Ordinal)
                .Replace("\\=", "=", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
    }

    /// <summary>A syslog server on loopback: TLS when given a certificate, octet-counting or newline framing.</summary>
    private sealed class SyslogListener : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly X509Certificate2? _certificate;
        private readonly bool _newline;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _accept;

        private SyslogListener(X509Certificate2? certificate, int port, bool newline)
        {
            _certificate = certificate;
            _newline = newline;
            _listener = new TcpListener(IPAddress.Loopback, port);
            _listener.Start();
            _accept = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public ConcurrentQueue<CefMessage> Messages { get; } = new();

        public static SyslogListener Start(X509Certificate2? certificate, int port = 0, bool newline = false) => new(certificate, port, newline);

        public async Task<CefMessage> WaitForAsync(Func<CefMessage, bool> match, int count = 1, TimeSpan? timeout = null)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (true)
            {
                var found = Messages.Where(match).ToList();
                if (found.Count >= count)
                {
                    return found[count - 1];
                }
                Assert.True(clock.Elapsed < (timeout ?? TimeSpan.FromSeconds(10)), $"{found.Count} of {count} messages; received: {string.Join("\n", Messages.Select(m => m.Syslog))}");
                await Task.Delay(50, Ct);
            }
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    _ = ReadAsync(client);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        private async Task ReadAsync(TcpClient client)
        {
            using var _ = client;
            try
            {
                Stream stream = client.GetStream();
                if (_certificate is not null)
                {
                    var tls = new SslStream(stream);
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, _stop.Token);
                    stream = tls;
                }
                using var reader = new StreamReader(stream, Encoding.UTF8);
                while (!_stop.IsCancellationRequested)
                {
                    string? message;
                    if (_newline)
                    {
                        message = await reader.ReadLineAsync(_stop.Token);
                    }
                    else
                    {
                        var length = new StringBuilder();
                        int c;
                        while ((c = reader.Read()) is >= '0' and <= '9')
                        {
                            length.Append((char)c);
                        }
                        if (c != ' ')
                        {
                            return;
                        }
                        // The count is in bytes; these test messages are ASCII, so characters and bytes agree.
                        var buffer = new char[int.Parse(length.ToString(), CultureInfo.InvariantCulture)];
                        await reader.ReadBlockAsync(buffer, _stop.Token);
                        message = new string(buffer);
                    }
                    if (message is null)
                    {
                        return;
                    }
                    Messages.Enqueue(CefMessage.Parse(message));
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _accept;
            _stop.Dispose();
        }
    }

    /// <summary>A CA in a PEM file and a server certificate for localhost/127.0.0.1 it signed.</summary>
    private sealed class TestPki : IDisposable
    {
        private readonly TempDirectory _dir = new("osprey-siem-pki");

        public TestPki()
        {
            using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var caRequest = new CertificateRequest("CN=Osprey test SIEM CA", caKey, HashAlgorithmName.SHA256);
            caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
            using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            CaFile = Path.Combine(_dir.Path, "ca.pem");
            File.WriteAllText(CaFile, ca.ExportCertificatePem());

            using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256);
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            using var signed = request.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(12), RandomNumberGenerator.GetBytes(8));
            Server = X509CertificateLoader.LoadPkcs12(signed.CopyWithPrivateKey(serverKey).Export(X509ContentType.Pkcs12), null);
        }

        public string CaFile { get; }

        public X509Certificate2 Server { get; }

        public void Dispose()
        {
            Server.Dispose();
            _dir.Dispose();
        }
    }
}
