using DinoSeg;
using DinoSeg.Cli;

// Every failure is one line on stderr with a distinct exit code; a stack trace only with DINOSEG_DEBUG=1.
const string Usage = """
    usage: dinoseg <command> [options]

    commands:
      segment   segment an image from seed pixels and write the mask and views as PNGs
      bench     time the per-click path on random features of a given size
      eval      score one-click IoU and NoC@85/90 over a folder of image + mask pairs

    'dinoseg <command> --help' shows a command's options.
    """;

if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
{
    Console.WriteLine(Usage);
    return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Ok;
}

try
{
    string[] rest = args[1..];
    switch (args[0])
    {
        case "segment":
            if (rest.Contains("--help") || rest.Contains("-h"))
            {
                Console.WriteLine(SegmentArguments.Usage);
                return ExitCodes.Ok;
            }

            return SegmentCommand.Run(SegmentArguments.Parse(rest), Console.Out);
        case "bench":
            if (rest.Contains("--help") || rest.Contains("-h"))
            {
                Console.WriteLine(BenchCommand.Usage);
                return ExitCodes.Ok;
            }

            return BenchCommand.Run(rest, Console.Out);
        case "eval":
            if (rest.Contains("--help") || rest.Contains("-h"))
            {
                Console.WriteLine(EvalCommand.Usage);
                return ExitCodes.Ok;
            }

            return EvalCommand.Run(rest, Console.Out);
        default:
            throw new UsageException($"unknown command '{args[0]}' (commands: segment, bench, eval)");
    }
}
catch (Exception e) when (Environment.GetEnvironmentVariable("DINOSEG_DEBUG") != "1")
{
    (int code, string message) = e switch
    {
        UsageException => (ExitCodes.Usage, e.Message),
        FileNotFoundException f => (ExitCodes.Usage, $"file not found: {f.FileName}"),
        DinoSegImageException => (ExitCodes.BadImage, e.Message),
        DinoSegModelException => (ExitCodes.BadModel, e.Message),
        DinoSegDeviceException => (ExitCodes.NoDevice, e.Message),
        UnauthorizedAccessException or IOException => (ExitCodes.Unexpected, $"cannot write output: {e.Message}"),
        _ => (ExitCodes.Unexpected, $"unexpected {e.GetType().Name}: {e.Message} (rerun with DINOSEG_DEBUG=1 for details)"),
    };
    Console.Error.WriteLine($"dinoseg: error: {message.ReplaceLineEndings(" ")}");
    return code;
}
