using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DinoSeg.Evaluation;

namespace DinoSeg.Cli;

/// <summary><c>dinoseg eval</c>: one-click IoU and NoC@85/90 (RITM protocol) over a folder of image + mask pairs.</summary>
internal static class EvalCommand
{
    public static CliCommand Create()
    {
        var command = new CliCommand("eval",
            "score one-click IoU and NoC@85/90 over a folder of image + mask pairs",
            "Scores the segmenter on every NAME.png|jpg + NAME.mask.png pair in DIR (e.g. samples/evalset): the first click at the object's " +
            "deepest interior point, each next click at the deepest point of the largest error region (positive on a missed part, negative " +
            "on a false one), up to --max-clicks (20). Prints per-image one-click IoU, NoC@85 and NoC@90, then the means. See docs/quality.md.",
            """
            dinoseg eval samples/evalset
            dinoseg eval samples/evalset --refine guided --scales 512,768 --json
            dinoseg eval samples/evalset --propagation none --threshold 0.2
            dinoseg eval my-set --backbone dinov3 --model dinov3_vitl16.onnx --threshold 0.5
            """);
        var dir = new Argument<string>("DIR") { Description = "a folder of NAME.png + NAME.mask.png pairs" };
        command.Arguments.Add(dir);
        var mask = new MaskOptions(command);
        var radius = new Option<int?>("--refine-radius") { Description = "guided-filter radius (default 16)", HelpName = "PX" };
        var eps = new Option<double?>("--refine-eps") { Description = "guided-filter ε (default 0.001)", HelpName = "E" };
        var crfTemperature = new Option<double?>("--crf-temperature") { Description = "the CRF unary's T: P(object) = logistic((s - threshold) / T) (default 0.1)", HelpName = "T" };
        var crfBilateral = CliOptions.Parsed<Triple>("--crf-bilateral", "the CRF's bilateral kernel: weight, σ in working-grid pixels, σ in colour levels (default 5,40,8)",
            "W,SPATIAL,COLOR", "W,SPATIAL,COLOR", text => CliOptions.Numbers(text, 3) is [var w, var spatial, var color] ? new Triple(w, spatial, color) : null);
        var crfSmooth = CliOptions.Parsed<Triple>("--crf-smooth", "the CRF's Gaussian kernel: weight, σ in working-grid pixels (default 1,1)",
            "W,SPATIAL", "W,SPATIAL", text => CliOptions.Numbers(text, 2) is [var w, var spatial] ? new Triple(w, spatial, 0) : null);
        var crfNewRegions = new Option<bool>("--crf-keep-new-regions")
        {
            Description = "let the CRF keep regions of its own, where the thresholded map had none (off by default: it only moves the mask's edges)",
        };
        var neighbours = new Option<int?>("--graph-k") { Description = "graph neighbours per patch (default 10)", HelpName = "K" };
        var tau = new Option<double?>("--graph-tau") { Description = "graph edge temperature (default 0.2)", HelpName = "T" };
        var alpha = new Option<double?>("--graph-alpha") { Description = "how far ranking spreads (default 0.99)", HelpName = "A" };
        var barrier = new Option<double?>("--graph-barrier")
        {
            Description = "a later seed on the first seed's region may not spread where the first seed ranks below this fraction of the threshold (default 0.5; 0: off)",
            HelpName = "F",
        };
        var negativeWeight = new Option<double?>("--graph-negative-weight")
        {
            Description = "a pixel stays only where its rank from the seeds is above this weight times its rank from the negative seeds (default 1: above the negatives' rank; below 1 a negative removes less)",
            HelpName = "W",
        };
        var blockWeights = new Option<float[]?>("--block-weights")
        {
            Description = "weights of the fused blocks of the embedded backbone, in order (layers 2, 3, 4; default 0.5,1,0.5; 0 leaves a block out): how they were chosen, see docs/quality.md",
            HelpName = "W1,W2,...",
            CustomParser = result =>
            {
                string text = result.Tokens[0].Value;
                if (CliOptions.Numbers(text, 0) is { } weights) return [.. weights.Select(w => (float)w)];
                result.AddError($"--block-weights expects comma-separated numbers (e.g. 0.5,1,0.5), not '{text}'");
                return null;
            },
        };
        var maxClicks = new Option<int?>("--max-clicks") { Description = "click budget per image (default 20)", HelpName = "N" };
        foreach (Option option in new Option[] { radius, eps, crfTemperature, crfBilateral, crfSmooth, crfNewRegions, neighbours, tau, alpha, barrier, negativeWeight, blockWeights, maxClicks }) command.Options.Add(option);
        var model = new ModelOptions(command);
        var json = CliOptions.Json("print one JSON object with the settings, per-image scores and means");
        command.Options.Add(json);
        command.Validators.Add(result =>
        {
            // Validators run before defaults are filled in (an absent option reads as null), and also when a value was refused.
            string refine = result.GetValue(mask.Refine) ?? MaskOptions.DefaultRefinement;
            if (refine != "guided" && (result.Given(radius) || result.Given(eps))) result.AddError("--refine-radius and --refine-eps need --refine guided");
            if (refine != "crf" && (result.Given(crfTemperature) || result.Given(crfBilateral) || result.Given(crfSmooth) || result.Given(crfNewRegions)))
            {
                result.AddError("--crf-temperature, --crf-bilateral, --crf-smooth and --crf-keep-new-regions need --refine crf");
            }

            if ((result.GetValue(mask.PropagationOption) ?? "graph") != "graph" && (result.Given(neighbours) || result.Given(tau) || result.Given(alpha) || result.Given(barrier) || result.Given(negativeWeight)))
            {
                result.AddError("--graph-k, --graph-tau, --graph-alpha, --graph-barrier and --graph-negative-weight need --propagation graph");
            }
        });
        command.SetRun(parse =>
        {
            var defaults = SegmentationOptions.Default;
            Triple? bilateral = parse.GetValue(crfBilateral), smooth = parse.GetValue(crfSmooth);
            var graph = defaults.Graph with
            {
                Neighbours = parse.GetValue(neighbours) ?? defaults.Graph.Neighbours,
                Temperature = parse.GetValue(tau) ?? defaults.Graph.Temperature,
                Alpha = parse.GetValue(alpha) ?? defaults.Graph.Alpha,
                LaterSeedBarrier = parse.GetValue(barrier) ?? defaults.Graph.LaterSeedBarrier,
                NegativeWeight = parse.GetValue(negativeWeight) ?? defaults.Graph.NegativeWeight,
            };
            var crf = defaults.Crf with
            {
                Temperature = parse.GetValue(crfTemperature) ?? defaults.Crf.Temperature,
                BilateralWeight = bilateral?.A ?? defaults.Crf.BilateralWeight,
                BilateralSpatial = bilateral?.B ?? defaults.Crf.BilateralSpatial,
                BilateralColor = bilateral?.C ?? defaults.Crf.BilateralColor,
                SmoothnessWeight = smooth?.A ?? defaults.Crf.SmoothnessWeight,
                SmoothnessSpatial = smooth?.B ?? defaults.Crf.SmoothnessSpatial,
                KeepsNewRegions = parse.GetValue(crfNewRegions),
            };
            var options = mask.Apply(parse, defaults) with
            {
                RefineRadius = parse.GetValue(radius) ?? defaults.RefineRadius,
                RefineEpsilon = parse.GetValue(eps) ?? defaults.RefineEpsilon,
                ComputeSoftMask = false,
            };
            // The graph and the CRF both have a Temperature: each group is checked on its own so the error names the right option.
            LibraryCheck.Run(() => new SimilaritySegmenter(defaults with { Graph = graph }), GraphNames);
            LibraryCheck.Run(() => new SimilaritySegmenter(defaults with { Crf = crf }), CrfNames);
            var segmenter = LibraryCheck.Run(() => new SimilaritySegmenter(options with { Graph = graph, Crf = crf }), SegmentationNames);
            return Run(parse.GetValue(dir)!, segmenter, mask.FixedThreshold(parse), mask.ScalesValue(parse), parse.GetValue(maxClicks),
                // Absent, an array option reads as an empty array.
                model.Read(parse) with { BlockWeights = parse.GetValue(blockWeights) is { Length: > 0 } w ? w : null }, parse.GetValue(json), Console.Out);
        });
        return command;
    }

    /// <summary>Two or three numbers of a CRF kernel option.</summary>
    private readonly record struct Triple(double A, double B, double C);

    private static readonly Dictionary<string, string> GraphNames = new()
    {
        [nameof(GraphOptions.Neighbours)] = "--graph-k",
        [nameof(GraphOptions.Temperature)] = "--graph-tau",
        [nameof(GraphOptions.Alpha)] = "--graph-alpha",
        [nameof(GraphOptions.LaterSeedBarrier)] = "--graph-barrier",
        [nameof(GraphOptions.NegativeWeight)] = "--graph-negative-weight",
    };

    private static readonly Dictionary<string, string> CrfNames = new()
    {
        [nameof(CrfOptions.Temperature)] = "--crf-temperature",
        [nameof(CrfOptions.BilateralWeight)] = "--crf-bilateral",
        [nameof(CrfOptions.BilateralSpatial)] = "--crf-bilateral",
        [nameof(CrfOptions.BilateralColor)] = "--crf-bilateral",
        [nameof(CrfOptions.SmoothnessWeight)] = "--crf-smooth",
        [nameof(CrfOptions.SmoothnessSpatial)] = "--crf-smooth",
    };

    private static readonly Dictionary<string, string> SegmentationNames = new(MaskOptions.LibraryNames)
    {
        [nameof(SegmentationOptions.RefineRadius)] = "--refine-radius",
        [nameof(SegmentationOptions.RefineEpsilon)] = "--refine-eps",
    };

    private static readonly Dictionary<string, string> EvaluatorNames = new() { ["threshold"] = "--threshold", ["maxClicks"] = "--max-clicks" };

    /// <param name="threshold">A fixed threshold; null for the rule in the segmenter's options (auto, the default).</param>
    public static int Run(string dir, SimilaritySegmenter segmenter, float? threshold, int[] scales, int? maxClicks, ModelArguments model, bool json, TextWriter stdout)
    {
        if (!Directory.Exists(dir)) throw new UsageException($"no folder at '{dir}'");
        // Every value the library checks is checked before the set is read, so a bad option fails first.
        using IFeatureExtractor extractor = model.CreateExtractor(scales);
        var protocol = LibraryCheck.Run(() => new ClickProtocol(maxClicks ?? ClickProtocol.DefaultMaxClicks), EvaluatorNames);
        var evaluator = new Evaluator(extractor, segmenter, threshold, segmenter.Options.ThresholdRule, protocol);
        IReadOnlyList<EvaluationItem> items = EvaluationSet.Load(dir);
        SegmentationOptions options = segmenter.Options;
        ThresholdRule thresholdRule = options.ThresholdRule;
        Refinement refinement = options.Refinement;
        Propagation propagationMode = options.Propagation;
        // The fixed threshold is checked at the first image's click.
        EvaluationReport report = LibraryCheck.Run(() => evaluator.Evaluate(items), EvaluatorNames);

        string thresholdLabel = threshold is { } t ? t.ToString("0.###", CultureInfo.InvariantCulture) : $"auto ({Names.Name(Names.Rules, thresholdRule)})";
        if (json)
        {
            var doc = new
            {
                directory = dir,
                backbone = extractor.Backbone.Name,
                blockWeights = extractor.Backbone.Blocks.Select(b => b.Weight),
                scales,
                threshold = threshold is null ? "auto" : (object)threshold.Value,
                rule = threshold is null ? Names.Name(Names.Rules, thresholdRule) : null,
                similaritySigma = options.SimilaritySigma,
                refinement = Names.Name(Names.Refinements, refinement),
                propagation = propagationMode == Propagation.Graph ? "graph" : "none",
                keepSeedRegions = options.KeepSeedRegionsOnly,
                minRegionArea = options.MinRegionArea,
                fillHolesArea = options.FillHolesArea,
                smoothRadius = options.SmoothRadius,
                graphNeighbours = propagationMode == Propagation.Graph ? options.Graph.Neighbours : (int?)null,
                graphTemperature = propagationMode == Propagation.Graph ? options.Graph.Temperature : (double?)null,
                graphAlpha = propagationMode == Propagation.Graph ? options.Graph.Alpha : (double?)null,
                graphBarrier = propagationMode == Propagation.Graph ? options.Graph.LaterSeedBarrier : (double?)null,
                graphNegativeWeight = propagationMode == Propagation.Graph ? options.Graph.NegativeWeight : (double?)null,
                refineRadius = refinement != Refinement.GuidedFilter ? (int?)null : options.RefineRadius,
                refineEpsilon = refinement != Refinement.GuidedFilter ? (double?)null : options.RefineEpsilon,
                crf = refinement != Refinement.DenseCrf ? null : new
                {
                    temperature = options.Crf.Temperature,
                    bilateralWeight = options.Crf.BilateralWeight,
                    bilateralSpatial = options.Crf.BilateralSpatial,
                    bilateralColor = options.Crf.BilateralColor,
                    smoothnessWeight = options.Crf.SmoothnessWeight,
                    smoothnessSpatial = options.Crf.SmoothnessSpatial,
                    iterations = options.Crf.Iterations,
                    keepsNewRegions = options.Crf.KeepsNewRegions,
                },
                maxClicks = protocol.MaxClicks,
                images = report.Images.Select(s => new
                {
                    name = s.Name,
                    group = s.Group,
                    width = s.Width,
                    height = s.Height,
                    firstClickIoU = Math.Round(s.FirstClickIoU, 4),
                    firstClickThreshold = Math.Round(s.FirstClickThreshold, 4),
                    firstClickBoundaryF = Math.Round(s.FirstClickBoundaryF, 4),
                    noc85 = s.NoC85,
                    noc90 = s.NoC90,
                    finalIoU = Math.Round(s.FinalIoU, 4),
                    clicks = s.Clicks.Select(c => c.ToString()),
                    ious = s.IoUs.Select(v => Math.Round(v, 4)),
                }),
                groups = report.Groups.Select(g => new
                {
                    name = g.Name,
                    count = g.Report.Images.Count,
                    firstClickIoU = Math.Round(g.Report.MeanFirstClickIoU, 4),
                    firstClickBoundaryF = Math.Round(g.Report.MeanFirstClickBoundaryF, 4),
                    secondClickIoU = Math.Round(g.Report.MeanIoUAfter(2), 4),
                    thirdClickIoU = Math.Round(g.Report.MeanIoUAfter(3), 4),
                    noc85 = Math.Round(g.Report.MeanNoC85, 3),
                    noc90 = Math.Round(g.Report.MeanNoC90, 3),
                    failuresAt90 = g.Report.FailuresAt90,
                }),
                mean = new
                {
                    firstClickIoU = Math.Round(report.MeanFirstClickIoU, 4),
                    firstClickBoundaryF = Math.Round(report.MeanFirstClickBoundaryF, 4),
                    noc85 = Math.Round(report.MeanNoC85, 3),
                    noc90 = Math.Round(report.MeanNoC90, 3),
                    failuresAt90 = report.FailuresAt90,
                },
            };
            stdout.WriteLine(JsonSerializer.Serialize(doc));
        }
        else
        {
            stdout.WriteLine($"{dir}: {items.Count} images, {extractor.Backbone.Name}{BlockWeightsLabel(extractor.Backbone)}{(scales.Length > 0 ? " at " + string.Join('+', scales) : "")}, " +
                $"threshold {thresholdLabel}, σ {options.SimilaritySigma}, refine {RefineLabel(refinement, options)}, " +
                $"propagation {(propagationMode == Propagation.Graph ? $"graph k{options.Graph.Neighbours} τ{options.Graph.Temperature} α{options.Graph.Alpha}" : "none")}");
            stdout.WriteLine($"{"image",-40} {"1-click IoU",11} {"threshold",9} {"NoC@85",6} {"NoC@90",6} {"1-click BF",10}");
            foreach (ImageScore s in report.Images)
            {
                string name = s.Group.Length == 0 ? s.Name : $"{s.Group}/{s.Name}";
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-40} {s.FirstClickIoU,11:0.000} {s.FirstClickThreshold,9:0.###} {s.NoC85,6} {s.NoC90,6} {s.FirstClickBoundaryF,10:0.000}"));
            }

            IReadOnlyList<GroupReport> groups = report.Groups;
            if (groups.Count > 1 || groups[0].Name.Length > 0)
            {
                foreach (GroupReport g in groups)
                {
                    EvaluationReport r = g.Report;
                    string label = $"mean {(g.Name.Length == 0 ? "(top)" : g.Name)} ({r.Images.Count})";
                    stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{label,-40} {r.MeanFirstClickIoU,11:0.000} {"",9} {r.MeanNoC85,6:0.00} {r.MeanNoC90,6:0.00} {r.MeanFirstClickBoundaryF,10:0.000}   (IoU after 2 clicks {r.MeanIoUAfter(2):0.000}, 3 clicks {r.MeanIoUAfter(3):0.000}; {r.FailuresAt90} never reach 0.90)"));
                }
            }

            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"mean",-40} {report.MeanFirstClickIoU,11:0.000} {"",9} {report.MeanNoC85,6:0.00} {report.MeanNoC90,6:0.00} {report.MeanFirstClickBoundaryF,10:0.000}   ({report.FailuresAt90} of {report.Images.Count} never reach 0.90 in {protocol.MaxClicks} clicks)"));
        }

        return ExitCodes.Ok;
    }

    /// <summary>" (blocks 0.5,1,0.5)" for a backbone that fuses outputs, so a header says which weights were scored.</summary>
    private static string BlockWeightsLabel(Backbone backbone) => backbone.Blocks.Count == 0 ? ""
        : $" (blocks {string.Join(',', backbone.Blocks.Select(b => b.Weight.ToString(CultureInfo.InvariantCulture)))})";

    /// <summary>The refinement and its settings, as the text report's header prints them.</summary>
    private static string RefineLabel(Refinement refinement, SegmentationOptions o) => refinement switch
    {
        Refinement.GuidedFilter => $"guided r{o.RefineRadius} ε{o.RefineEpsilon}",
        Refinement.DenseCrf => string.Create(CultureInfo.InvariantCulture,
            $"crf T{o.Crf.Temperature} bilateral {o.Crf.BilateralWeight},{o.Crf.BilateralSpatial},{o.Crf.BilateralColor} smooth {o.Crf.SmoothnessWeight},{o.Crf.SmoothnessSpatial}{(o.Crf.KeepsNewRegions ? " keeps new regions" : "")}"),
        _ => Names.Name(Names.Refinements, refinement),
    };
}
