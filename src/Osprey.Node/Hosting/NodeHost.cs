using Osprey.Contracts.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Osprey.Node.AgentApi;
using Osprey.Node.Configuration;
using Osprey.Node.Detection;
using Osprey.Node.ObjectStorage;
using Osprey.Node.OperatorApi;
using Osprey.Node.Pki;
using Osprey.Node.Security;
using Osprey.Node.Storage;

namespace Osprey.Node.Hosting;

/// <summary>Composes the node: Kestrel with HTTPS only, the agent API and the operator API.</summary>
public static class NodeHost
{
    public static WebApplication Build(string dataDir, TimeProvider? time = null, Action<ILoggingBuilder>? logging = null)
    {
        var paths = new NodePaths(Path.GetFullPath(dataDir));
        var options = NodeInitializer.LoadOptions(paths);
        SecretBox secrets;
        try
        {
            secrets = SecretBox.Open(paths.SecretKey);
        }
        catch (SecretKeyException e)
        {
            throw new NodeConfigurationException(e.Message, e);
        }
        var ca = NodeCertificateAuthority.Load(paths, secrets);
        var serverCertificate = NodeCertificateAuthority.LoadServerCertificate(paths, secrets);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        logging?.Invoke(builder.Logging);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxBatchBytes;
            kestrel.Listen(options.ListenEndPoint, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(https =>
                {
                    https.ServerCertificate = serverCertificate;
                    https.ServerCertificateChain = [ca.Certificate];
                    // Request a certificate from every client; whether it is acceptable is decided per route
                    // (agent API) so a refusal carries a clear ProblemDetails message instead of a TLS alert.
                    https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                    https.ClientCertificateValidation = static (_, _, _) => true;
                    https.CheckCertificateRevocation = false;
                });
            });
        });

        var services = builder.Services;
        services.AddSingleton(time ?? TimeProvider.System);
        services.AddSingleton(paths);
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(options));
        services.AddSingleton(ca);
        services.AddSingleton(secrets);
        services.AddNodeStorage(paths, options.EventWriters);
        services.AddAgentApi();
        services.AddOperatorApi();
        services.AddObjectStorage();
        services.AddDetection();
        services.AddSingleton<Export.SiemExporter>();
        services.AddHostedService(sp => sp.GetRequiredService<Export.SiemExporter>());

        var app = builder.Build();
        app.Services.GetRequiredService<INodeStore>().Initialize();
        app.Services.GetRequiredService<IEventStore>().Initialize();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<OperatorAuthentication>();
        app.MapAgentApi();
        app.MapOperatorApi();
        app.MapQuarantineApi();
        app.MapIncidentApi();
        app.MapObjectStorage();
        app.MapGet("/health", () => Results.Ok("ok"));
        return app;
    }
}
