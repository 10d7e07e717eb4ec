using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using Osprey.Contracts.Security;
using Osprey.Contracts.V1;
using Osprey.Node.Configuration;
using Osprey.Node.Detection;
using Osprey.Node.Hosting;
using Osprey.Node.Ingest;
using Osprey.Node.Pki;
using Osprey.Node.Quarantine;
using Osprey.Node.Storage;

namespace Osprey.Node.AgentApi;

/// <summary>The agent API: enroll, sync (long-poll), telemetry and task reports; protobuf bodies.</summary>
public static class AgentEndpoints
{
    public static IEndpointRouteBuilder MapAgentApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/agent/v1");
        group.MapPost("/enroll", EnrollAsync);
        var authenticated = group.MapGroup("").RequireAgentCertificate();
        authenticated.MapPost("/sync", SyncAsync);
        authenticated.MapPost("/telemetry", TelemetryAsync);
        authenticated.MapPost("/reports", ReportsAsync);
        return app;
    }

    private static string AgentId(HttpContext http) => AgentCertificateFilter.AgentId(http);

    private static async Task<IResult> EnrollAsync(HttpContext http, INodeStore store, NodeCertificateAuthority ca, TimeProvider time)
    {
        var (request, problem) = await ProtobufBody.ReadAsync(http.Request, EnrollRequest.Parser, 256 * 1024, http.RequestAborted).ConfigureAwait(false);
        if (request is null)
        {
            return problem!;
        }
        if (request.Token.Length is 0 or > 256)
        {
            return Problems.BadRequest("an enrollment token is required");
        }
        var (csr, csrError) = NodeCertificateAuthority.ParseAgentCsr(request.CsrDer.ToByteArray());
        if (csr is null)
        {
            return Problems.BadRequest(csrError!);
        }
        var agentId = Guid.NewGuid().ToString("D");
        var now = time.GetUtcNow();
        using var certificate = ca.IssueAgentCertificate(csr, agentId, now);
        var device = request.Device ?? new DeviceInfo();
        var outcome = store.Enroll(
            TokenHash.Of(request.Token), NodeClock.ToUs(now), agentId, certificate.SerialNumber,
            Truncate(device.HostName, 255), device.ToByteArray());
        return outcome switch
        {
            EnrollOutcome.Accepted => ProtobufBody.Write(new EnrollResponse
            {
                AgentId = agentId,
                CertificateDer = ByteString.CopyFrom(certificate.RawData),
                CaCertificateDer = ByteString.CopyFrom(ca.Certificate.RawData),
            }),
            EnrollOutcome.Expired => Problems.Unauthorized("the enrollment token has expired"),
            EnrollOutcome.UsedUp => Problems.Unauthorized("the enrollment token has been used up"),
            EnrollOutcome.Revoked => Problems.Unauthorized("the enrollment token has been revoked"),
            _ => Problems.Unauthorized("the enrollment token is not known to this node"),
        };
    }

    private static async Task<IResult> SyncAsync(
        HttpContext http, INodeStore store, IEventStore events, TaskSignals signals, SecretBox secrets, IOptions<NodeOptions> options, TimeProvider time)
    {
        var (request, problem) = await ProtobufBody.ReadAsync(http.Request, SyncRequest.Parser, 1024 * 1024, http.RequestAborted).ConfigureAwait(false);
        if (request is null)
        {
            return problem!;
        }
        var agentId = AgentId(http);
        var device = request.Device ?? new DeviceInfo();
        store.RecordSync(agentId, time.NowUs(), Truncate(device.HostName, 255), Truncate(device.NodeAddress, 512), device.ToByteArray(), (request.Status ?? new AgentStatus()).ToByteArray());
        var known = request.KnownTaskIds.ToHashSet(StringComparer.Ordinal);
        var wait = TimeSpan.FromSeconds(Math.Clamp(request.WaitSeconds, 0, options.Value.MaxLongPollSeconds));
        var deadline = time.GetUtcNow() + wait;
        while (true)
        {
            // Take the signal before reading, so a task added between the read and the wait still wakes us.
            var signal = signals.WaitHandle(agentId);
            var pending = store.PendingTasks(agentId, time.NowUs()).Where(t => !known.Contains(t.TaskId)).ToList();
            var cancelling = store.CancellingTasks(agentId).Where(known.Contains).ToList();
            var remaining = deadline - time.GetUtcNow();
            if (pending.Count > 0 || cancelling.Count > 0 || remaining <= TimeSpan.Zero)
            {
                var response = new SyncResponse { ServerTimeUs = time.NowUs(), AckedSequence = events.AckedSequence(agentId) };
                foreach (var task in pending)
                {
                    response.Tasks.Add(Deliverable(task, http, secrets));
                }
                response.CancelledTaskIds.AddRange(cancelling);
                store.MarkDelivered(pending.Select(t => t.TaskId), time.NowUs());
                return ProtobufBody.Write(response);
            }
            try
            {
                await signal.WaitAsync(remaining, time, http.RequestAborted).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }
    }

    /// <summary>
    /// The task as the agent gets it: a run-as password, kept sealed with the node's key, is sealed again to the public
    /// key of the certificate this agent connected with, so only that agent can read it.
    /// </summary>
    private static TaskDefinition Deliverable(TaskRecord task, HttpContext http, SecretBox secrets)
    {
        var definition = TaskDefinition.Parser.ParseFrom(task.Definition);
        if (task.RunAsSecret is { } secret && http.Connection.ClientCertificate?.GetECDsaPublicKey() is { } agentKey)
        {
            using (agentKey)
            {
                var context = Encoding.UTF8.GetBytes(task.TaskId);
                var password = secrets.Open(secret, context);
                try
                {
                    definition.RunAs.EncryptedPassword = ByteString.CopyFrom(AgentSeal.Seal(agentKey.ExportParameters(false), password, context));
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(password);
                }
            }
        }
        return definition;
    }

    private static async Task<IResult> TelemetryAsync(HttpContext http, IEventStore events, DetectionService detection, IOptions<NodeOptions> options)
    {
        var agentId = AgentId(http);
        var (batch, problem) = await ProtobufBody.ReadAsync(http.Request, options.Value.MaxBatchBytes, body =>
        {
            try
            {
                return (ReceivedBatch.Parse(body, agentId), (string?)null);
            }
            catch (InvalidDataException e)
            {
                return (null, $"the body is not a valid TelemetryBatch message: {e.Message}");
            }
        }, http.RequestAborted).ConfigureAwait(false);
        if (batch is null)
        {
            return problem!;
        }
        var invalid = TelemetryValidator.Validate(batch, options.Value.MaxBatchEvents);
        if (invalid is not null)
        {
            return Problems.BadRequest($"the telemetry batch was rejected whole: {invalid}");
        }
        IngestResult result;
        try
        {
            result = await events.IngestAsync(agentId, batch, http.RequestAborted).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            return Problems.Unavailable(e.Message);
        }
        if (result.Error is not null)
        {
            return Problems.BadRequest($"the telemetry batch was rejected whole: {result.Error}");
        }
        // Only once stored: detection never sees an event the node could still lose. A batch of nothing but
        // duplicates was evaluated when it first arrived. The wait is bounded and not cut short by the client: a
        // batch stored and acknowledged is handed over even if the agent hangs up.
        if (result.Stored > 0)
        {
            await detection.SubmitAsync(agentId, batch.Events, CancellationToken.None).ConfigureAwait(false);
        }
        return ProtobufBody.Write(new TelemetryAck { AckedSequence = result.AckedSequence, Stored = (uint)result.Stored, Duplicates = (uint)result.Duplicates });
    }

    private static async Task<IResult> ReportsAsync(HttpContext http, INodeStore store, TimeProvider time)
    {
        var (batch, problem) = await ProtobufBody.ReadAsync(http.Request, TaskReportBatch.Parser, 16 * 1024 * 1024, http.RequestAborted).ConfigureAwait(false);
        if (batch is null)
        {
            return problem!;
        }
        if (batch.Reports.Any(r => r.TaskId.Length is 0 or > 64 || r.Status.Length is 0 or > 32))
        {
            return Problems.BadRequest("every report needs a task ID (at most 64 characters) and a status (at most 32)");
        }
        var agentId = AgentId(http);
        foreach (var report in batch.Reports)
        {
            var now = time.NowUs();
            if (store.AddReport(report.TaskId, agentId, now, report.Status, report.ToByteArray()))
            {
                QuarantineIndex.Apply(store, agentId, report, now);
                ScanReportAlerts.Apply(store, agentId, report, now);
            }
        }
        return Results.NoContent();
    }

    private static string Truncate(string value, int max) => value.Length <= max ? value : value[..max];
}
