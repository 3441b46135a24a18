using DinoSeg;
using DinoSeg.Cli;

// Every failure is one line on stderr with a distinct exit code; a stack trace only with DINOSEG_DEBUG=1.
const string Usage = """
    usage: dinoseg <command> [options]

    commands:
      segment   segment an image from seed pixels and write the mask and views as PNGs
      bench     time the per-click path on random features of a given size
      features  extract an image's patch features once and save them to a file (segment --features reuses it)
      propagate segment the first frame of a folder from seeds, then carry the mask from frame to frame
      batch     segment a folder of images with seeds from a CSV/JSON file: pipelined, resumable, shardable
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
    OnnxRuntimeLibrary.Apply(); // DINOSEG_ONNXRUNTIME: another ONNX Runtime build, such as the GPU one, before any ORT call
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
        case "features" or "propagate" or "batch" or "eval" when ModelArguments.WantsHelp(rest):
            Console.WriteLine(args[0] switch
            {
                "features" => FeaturesCommand.Usage,
                "propagate" => PropagateCommand.Usage,
                "batch" => BatchCommand.Usage,
                _ => EvalCommand.Usage,
            });
            return ExitCodes.Ok;
        case "features":
            return FeaturesCommand.Run(rest, Console.Out);
        case "propagate":
            return PropagateCommand.Run(rest, Console.Out);
        case "batch":
            return BatchCommand.Run(rest, Console.Out, Console.Error);
        case "eval":
            return EvalCommand.Run(rest, Console.Out);
        default:
            throw new UsageException($"unknown command '{args[0]}' (commands: segment, bench, features, propagate, batch, eval)");
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
        DinoSegDeviceException d => (ExitCodes.NoDevice, DeviceMessage.For(d)),
        OnnxRuntimeLibraryException => (ExitCodes.NoDevice, e.Message),
        DinoSegFeatureFileException => (ExitCodes.BadFeatures, e.Message),
        UnauthorizedAccessException or IOException => (ExitCodes.Unexpected, $"cannot write output: {e.Message}"),
        _ => (ExitCodes.Unexpected, $"unexpected {e.GetType().Name}: {e.Message} (rerun with DINOSEG_DEBUG=1 for details)"),
    };
    Console.Error.WriteLine($"dinoseg: error: {message.ReplaceLineEndings(" ")}");
    return code;
}
