namespace Osprey.Cli;

/// <summary>Where the node is and how to prove who we are: flags first, then OSPREY_URL, OSPREY_TOKEN, OSPREY_PIN.</summary>
public sealed record ConnectionSettings(Uri Server, string Token, string Pin)
{
    public static ConnectionSettings Resolve(string? server, string? token, string? pin)
    {
        server ??= Environment.GetEnvironmentVariable("OSPREY_URL");
        token ??= Environment.GetEnvironmentVariable("OSPREY_TOKEN");
        pin ??= Environment.GetEnvironmentVariable("OSPREY_PIN");
        if (string.IsNullOrWhiteSpace(server))
        {
            throw new CliException("no node address: pass --server https://HOST:PORT or set OSPREY_URL", 2);
        }
        if (string.IsNullOrWhiteSpace(token))
        {
            throw new CliException("no API token: pass --token or set OSPREY_TOKEN", 2);
        }
        if (string.IsNullOrWhiteSpace(pin))
        {
            throw new CliException("no certificate pin: pass --pin (printed by 'osprey-node init') or set OSPREY_PIN", 2);
        }
        if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new CliException($"'{server}' is not an https:// URL", 2);
        }
        return new ConnectionSettings(uri, token.Trim(), pin.Trim());
    }
}
