using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace DinoSeg.Cli;

/// <summary>
/// A dinoseg command: its description and options (System.CommandLine's help), the one-line summary that 'dinoseg --help'
/// lists it with, and the examples its help ends with.
/// </summary>
internal sealed class CliCommand(string name, string summary, string description, string examples) : Command(name, summary)
{
    /// <summary>The full description, shown by the command's own help (the list of commands shows the summary).</summary>
    public string Details { get; } = description;

    public string Examples { get; } = examples;

    /// <summary>The command's action: picks the ONNX Runtime build first (DINOSEG_ONNXRUNTIME), so help never loads it.</summary>
    public void SetRun(Func<ParseResult, int> run) => SetAction(parse =>
    {
        OnnxRuntimeLibrary.Apply();
        return run(parse);
    });

    /// <summary>The <c>dinoseg</c> root: the commands, --help (with each command's examples), --version and the [suggest] directive
    /// that shells' tab completion calls (see dotnet-suggest).</summary>
    public static RootCommand Root(params CliCommand[] commands)
    {
        var root = new RootCommand("DinoSeg: click-to-segment images from the command line.");
        foreach (CliCommand command in commands) root.Subcommands.Add(command);
        HelpOption help = root.Options.OfType<HelpOption>().Single();
        help.Action = new HelpWithExamples((HelpAction)help.Action!);
        return root;
    }

    /// <summary>"dinoseg segment" for the segment command, "dinoseg" for the root.</summary>
    public static string PathOf(Command command) => command is CliCommand ? $"dinoseg {command.Name}" : "dinoseg";

    /// <summary>System.CommandLine's help, with the command's full description, then its examples.</summary>
    private sealed class HelpWithExamples(HelpAction help) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parse)
        {
            CliCommand? command = parse.CommandResult.Command as CliCommand;
            // Help describes one command (the process ends after it): its own help gets the full text.
            if (command is not null) command.Description = command.Details;
            int code = help.Invoke(parse);
            if (command is not null)
            {
                TextWriter output = parse.InvocationConfiguration.Output;
                output.WriteLine("examples:"); // as before System.CommandLine: DinoSeg.Package.Tests and scripts look for it
                foreach (string line in command.Examples.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) output.WriteLine($"  {line}");
                output.WriteLine();
            }

            return code;
        }
    }
}
