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

/// <summary>
/// The library owns every range (σ, areas, radii, thresholds, long sides, seeds inside the image): the CLI hands it the
/// values as given and turns its argument exception into a usage error that names the option.
/// </summary>
internal static class LibraryCheck
{
    /// <summary>Runs a library call on the user's values; an argument exception about one of <paramref name="optionFor"/>'s
    /// parameters becomes a <see cref="UsageException"/> naming that option.</summary>
    public static T Run<T>(Func<T> call, IReadOnlyDictionary<string, string> optionFor)
    {
        try
        {
            return call();
        }
        catch (ArgumentException e) when (e.ParamName is { } name && optionFor.TryGetValue(name, out string? option))
        {
            throw Usage(option, e);
        }
    }

    /// <summary>"--sigma 70: σ must be in [0, 64]." — the option, the value the library was given, and its reason.</summary>
    public static UsageException Usage(string option, ArgumentException e)
    {
        string value = e is ArgumentOutOfRangeException { ActualValue: { } v } ? " " + Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) : "";
        return new UsageException($"{option}{value}: {Reason(e)}");
    }

    /// <summary>The library's message without the " (Parameter 'x')" and "Actual value was …" that .NET appends.</summary>
    public static string Reason(ArgumentException e)
    {
        string message = e.Message.ReplaceLineEndings("\n").Split('\n')[0];
        int parameter = e.ParamName is null ? -1 : message.LastIndexOf($" (Parameter '{e.ParamName}')", StringComparison.Ordinal);
        return parameter >= 0 ? message[..parameter] : message;
    }
}
