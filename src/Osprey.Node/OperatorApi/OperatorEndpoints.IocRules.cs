using Osprey.Detection.OpenIoc;
using Osprey.Node.Detection;
using Osprey.Node.Storage;

namespace Osprey.Node.OperatorApi;

// OpenIOC rules: each file parsed and stored with its status, reason and warnings.
public static partial class OperatorEndpoints
{
    private static List<RuleImportOutcome> ImportIocRules(IReadOnlyList<RuleFile> files, INodeStore store, string by, long nowUs)
    {
        var stored = new List<StoredRule>();
        var outcomes = new List<RuleImportOutcome>();
        foreach (var file in files)
        {
            var (rule, warnings) = IocImport.ToStored(IocParser.Parse(file.Content, file.Name), file.Content, by, nowUs);
            stored.Add(rule);
            outcomes.Add(new RuleImportOutcome(rule.RuleId, rule.Title, rule.SourceName, rule.Document, rule.Status, rule.Reason, warnings));
        }
        store.UpsertRules(stored);
        return outcomes;
    }
}
