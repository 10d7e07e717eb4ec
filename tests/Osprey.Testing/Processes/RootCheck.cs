namespace Osprey.Testing.Processes;

/// <summary>Tests of the real agent need root (kernel interfaces, root-only state): they fail, never skip, without it.</summary>
public static class RootCheck
{
    public static void Require()
    {
        if (Environment.UserName != "root")
        {
            throw new InvalidOperationException("this test runs the real agent and needs root (run the tests as root, as CI does)");
        }
    }
}
