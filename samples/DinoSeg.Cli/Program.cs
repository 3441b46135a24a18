using System.CommandLine;
using System.CommandLine.Invocation;
using DinoSeg;
using DinoSeg.Cli;

// Every failure is one line on stderr with a distinct exit code; a stack trace only with DINOSEG_DEBUG=1.
RootCommand root = CliCommand.Root(
    SegmentCommand.Create(), BenchCommand.Create(), FeaturesCommand.Create(), PropagateCommand.Create(), BatchCommand.Create(), EvalCommand.Create());
ParseResult parse = root.Parse(args);
if (parse.Action is ParseErrorAction)
{
    // System.CommandLine would print help and exit 1; scripts expect one line and the usage code.
    string errors = string.Join("; ", parse.Errors.Select(e => System.Text.RegularExpressions.Regex.Replace(e.Message, @"\s+", " ").TrimEnd('.')));
    Console.Error.WriteLine($"dinoseg: error: {errors} (see {CliCommand.PathOf(parse.CommandResult.Command)} --help)".ReplaceLineEndings(" "));
    return ExitCodes.Usage;
}

try
{
    return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (Environment.GetEnvironmentVariable("DINOSEG_DEBUG") != "1")
{
    (int code, string message) = e switch
    {
        UsageException => (ExitCodes.Usage, e.Message),
        FileNotFoundException f => (ExitCodes.Usage, $"file not found: {f.FileName}"),
        DinoSegImageException => (ExitCodes.BadImage, e.Message),
        DinoSegModelException => (ExitCodes.BadModel, e.Message),
        DinoSegDeviceException d => (ExitCodes.NoDevice, DeviceMessage.For(d)),
        OnnxRuntimeLibraryException => (ExitCodes.NoDevice, e.Message),
        DinoSegFeatureFileException => (ExitCodes.BadFeatures, e.Message),
        UnauthorizedAccessException or IOException => (ExitCodes.Unexpected, $"cannot write output: {e.Message}"),
        // A value the library refused that no command mapped to its option: still the user's argument.
        ArgumentException a => (ExitCodes.Usage, LibraryCheck.Reason(a)),
        _ => (ExitCodes.Unexpected, $"unexpected {e.GetType().Name}: {e.Message} (rerun with DINOSEG_DEBUG=1 for details)"),
    };
    Console.Error.WriteLine($"dinoseg: error: {message.ReplaceLineEndings(" ")}");
    return code;
}
