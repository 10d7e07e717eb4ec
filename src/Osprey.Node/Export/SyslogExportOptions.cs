namespace Osprey.Node.Export;

/// <summary>
/// Export of alerts and the audit log to a SIEM: CEF messages in syslog (RFC 5424) over TCP or TLS. Off unless
/// <see cref="Host"/> is set (node.json, <c>export.syslog</c>).
/// </summary>
public sealed record SyslogExportOptions
{
    /// <summary>The syslog server's name or address; empty: no export.</summary>
    public string Host { get; init; } = "";

    /// <summary>TCP port (6514 is syslog over TLS, RFC 5425; 601 or 514 plain TCP).</summary>
    public int Port { get; init; } = 6514;

    /// <summary>"tls" (default) or "tcp".</summary>
    public string Protocol { get; init; } = "tls";

    /// <summary>A PEM file with the CA certificate(s) the server's certificate must chain to; empty: the system's trusted roots.</summary>
    public string CaFile { get; init; } = "";

    /// <summary>The name the server's certificate must carry; empty: <see cref="Host"/>.</summary>
    public string ServerName { get; init; } = "";

    /// <summary>A PEM file holding a client certificate and its unencrypted key, for servers that require one; empty: none.</summary>
    public string ClientCertificateFile { get; init; } = "";

    /// <summary>"octet-counting" (RFC 6587 §3.4.1, required by RFC 5425; default) or "newline" (§3.4.2, a message per line).</summary>
    public string Framing { get; init; } = "octet-counting";

    /// <summary>Syslog facility of the messages (16: local0).</summary>
    public int Facility { get; init; } = 16;

    public bool Alerts { get; init; } = true;

    public bool Audit { get; init; } = true;

    /// <summary>
    /// Where a stream starts when it has never been exported: false (default) from the moment export is first enabled;
    /// true from the oldest alert change and audit record the node still holds.
    /// </summary>
    public bool ExportHistory { get; init; }

    /// <summary>Most records per read (and per flush to the server).</summary>
    public int BatchSize { get; init; } = 500;

    public bool Enabled => Host.Length > 0;

    public bool Tls => Protocol == "tls";

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Enabled)
        {
            return errors;
        }
        if (Host.Length > 253 || Host.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            errors.Add($"export.syslog.host: '{Host}' is not a host name or address");
        }
        if (Port is < 1 or > 65535)
        {
            errors.Add($"export.syslog.port: {Port} is outside 1..65535");
        }
        if (Protocol is not ("tls" or "tcp"))
        {
            errors.Add($"export.syslog.protocol: '{Protocol}' is not tls or tcp");
        }
        if (Framing is not ("octet-counting" or "newline"))
        {
            errors.Add($"export.syslog.framing: '{Framing}' is not octet-counting or newline");
        }
        if (Facility is < 0 or > 23)
        {
            errors.Add($"export.syslog.facility: {Facility} is outside 0..23");
        }
        if (BatchSize is < 1 or > 10_000)
        {
            errors.Add($"export.syslog.batchSize: {BatchSize} is outside 1..10000");
        }
        foreach (var (name, file) in (ReadOnlySpan<(string, string)>)[("caFile", CaFile), ("clientCertificateFile", ClientCertificateFile)])
        {
            if (file.Length > 0 && !File.Exists(file))
            {
                errors.Add($"export.syslog.{name}: no file '{file}'");
            }
        }
        if (!Tls && (CaFile.Length > 0 || ClientCertificateFile.Length > 0))
        {
            errors.Add("export.syslog: caFile and clientCertificateFile need protocol tls");
        }
        if (!Alerts && !Audit)
        {
            errors.Add("export.syslog: alerts and audit are both off; remove the host to turn export off");
        }
        return errors;
    }
}

/// <summary>What the node sends elsewhere.</summary>
public sealed record ExportOptions
{
    public SyslogExportOptions Syslog { get; init; } = new();

    public IReadOnlyList<string> Validate() => Syslog.Validate();
}
