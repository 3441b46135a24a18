namespace DinoSeg.Cli;

/// <summary>A problem with the command line itself; printed as one line, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>Exit codes: scripts branch on them.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Unexpected = 1;
    public const int Usage = 2;
    public const int BadImage = 3;
    public const int BadModel = 4;
    public const int NoDevice = 5;
    public const int BadFeatures = 6;
    public const int SomeImagesFailed = 7;
}
