using Osprey.Agent.Quarantine;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Tasks;

/// <summary>What the quarantine executors share: one object's failure as an ObjectError, and the per-ID loop of restore and delete.</summary>
internal static class QuarantineOutcomes
{
    public const int MaxIds = 1000;

    /// <summary>Runs <paramref name="action"/> on one object; the error naming it when it failed, null when it succeeded.</summary>
    public static ObjectError? Attempt(string objectName, Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (QuarantineException e)
        {
            return new ObjectError { ObjectName = objectName, Code = e.Code, Message = e.Message };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new ObjectError { ObjectName = objectName, Code = e is UnauthorizedAccessException ? 13 : Math.Max(5, e.HResult & 0xFFFF), Message = e.Message };
        }
    }

    /// <summary>
    /// Applies <paramref name="action"/> (which fills the outcome's path and warnings) to each ID, filling one outcome
    /// per ID and the report's errors (warnings too: a part of an object that did not come back is an error the
    /// operator must see, though the object succeeded); the report fails with the first error's code when no ID succeeded.
    /// </summary>
    public static void ForEachId(
        TaskRun run, IReadOnlyList<string> ids, ICollection<QuarantineItemOutcome> outcomes, Action<string, QuarantineItemOutcome> action, CancellationToken cancellationToken)
    {
        if (ids.Count is 0 or > MaxIds)
        {
            throw new TaskFailedException(22, $"name between 1 and {MaxIds} quarantine IDs");
        }
        foreach (var id in ids)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var outcome = new QuarantineItemOutcome { QuarantineId = id };
            outcomes.Add(outcome);
            var error = Attempt(id, () => action(id, outcome));
            if (error is null)
            {
                outcome.Succeeded = true;
                foreach (var warning in outcome.Warnings)
                {
                    run.Report.Errors.Add(warning);
                }
                continue;
            }
            outcome.Error = error;
            run.Report.Errors.Add(error);
        }
        if (outcomes.All(o => !o.Succeeded))
        {
            run.Report.ReturnCode = outcomes.First().Error.Code;
        }
    }
}
