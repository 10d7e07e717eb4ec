namespace Osprey.Detection.Yara;

/// <summary>
/// Field offsets of the libyara 4.2.3 structs the match callback reads (x86-64 and arm64 alike: every field is 8-byte
/// aligned or packed the same), taken from /usr/include/yara/types.h with offsetof. libyara 4.2 has no accessor
/// functions for a rule's strings or a string's matches, so these are the ABI Osprey depends on; the string-offset
/// tests fail if they are wrong.
/// </summary>
internal static unsafe class YaraLayout
{
    // YR_RULES: arena; YR_RULE* rules_table (ends with a rule flagged RULE_FLAGS_NULL); ...
    private const int RulesTable = 8;

    // YR_RULE (48 bytes): int32 flags; int32 num_atoms; identifier; tags; metas; strings; ns.
    private const int RuleSize = 48;
    private const int RuleFlags = 0;
    private const int RuleFlagsPrivate = 0x01;
    private const int RuleFlagsNull = 0x04;
    private const int RuleIdentifier = 8;
    private const int RuleTags = 16;
    private const int RuleStrings = 32;
    private const int RuleNamespace = 40;

    // YR_NAMESPACE: name; idx.
    private const int NamespaceName = 0;

    // YR_STRING (56 bytes): uint32 flags; uint32 idx; ...; identifier at 48.
    private const int StringSize = 56;
    private const int StringFlags = 0;
    private const int StringIdx = 4;
    private const int StringIdentifier = 48;
    private const uint StringFlagsLastInRule = 0x1000;

    // YR_SCAN_CONTEXT: YR_MATCHES* matches at 160; YR_MATCHES is {head, tail, count} (24 bytes).
    private const int ContextMatches = 160;
    private const int MatchesSize = 24;

    // YR_MATCH: int64 base; int64 offset; int32 match_length; int32 data_length; data; prev; next; int32 chain_length; bool is_private.
    private const int MatchBase = 0;
    private const int MatchOffset = 8;
    private const int MatchLength = 16;
    private const int MatchDataLength = 20;
    private const int MatchData = 24;
    private const int MatchNext = 40;
    private const int MatchIsPrivate = 52;

    /// <summary>The public (not private) rules of a compiled set.</summary>
    public static List<YaraRuleInfo> PublicRules(nint rules)
    {
        var names = new List<YaraRuleInfo>();
        for (var rule = *(nint*)(rules + RulesTable); (*(int*)(rule + RuleFlags) & RuleFlagsNull) == 0; rule += RuleSize)
        {
            if ((*(int*)(rule + RuleFlags) & RuleFlagsPrivate) == 0)
            {
                names.Add(new YaraRuleInfo(YaraText.FromUtf8(RuleNamespaceOf(rule)), YaraText.FromUtf8(RuleIdentifierOf(rule)), YaraText.Tags(RuleTagsOf(rule))));
            }
        }
        return names;
    }

    public static byte* RuleIdentifierOf(nint rule) => *(byte**)(rule + RuleIdentifier);

    /// <summary>The rule's tags: NUL-terminated names one after another, ending with an empty one.</summary>
    public static byte* RuleTagsOf(nint rule) => *(byte**)(rule + RuleTags);

    public static byte* RuleNamespaceOf(nint rule)
    {
        var ns = *(nint*)(rule + RuleNamespace);
        return ns == 0 ? null : *(byte**)(ns + NamespaceName);
    }

    /// <summary>The rule's first YR_STRING, or 0 when it has none.</summary>
    public static nint RuleStringsOf(nint rule) => *(nint*)(rule + RuleStrings);

    public static bool IsLastInRule(nint str) => (*(uint*)(str + StringFlags) & StringFlagsLastInRule) != 0;

    public static nint NextString(nint str) => str + StringSize;

    public static byte* StringIdentifierOf(nint str) => *(byte**)(str + StringIdentifier);

    /// <summary>The first confirmed match of <paramref name="str"/> in this scan, or 0.</summary>
    public static nint FirstMatch(nint context, nint str)
    {
        var matches = *(nint*)(context + ContextMatches);
        var idx = *(uint*)(str + StringIdx);
        return *(nint*)(matches + (nint)(idx * (ulong)MatchesSize));
    }

    public static nint NextMatch(nint match) => *(nint*)(match + MatchNext);

    public static bool IsPrivate(nint match) => *(byte*)(match + MatchIsPrivate) != 0;

    /// <summary>File offset, or virtual address in a process (base of the block plus the offset in it).</summary>
    public static ulong MatchAddress(nint match) => (ulong)(*(long*)(match + MatchBase) + *(long*)(match + MatchOffset));

    public static int MatchLengthOf(nint match) => *(int*)(match + MatchLength);

    public static ReadOnlySpan<byte> MatchDataOf(nint match) =>
        new(*(byte**)(match + MatchData), Math.Max(0, *(int*)(match + MatchDataLength)));
}
