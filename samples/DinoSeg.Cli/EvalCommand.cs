using System.Globalization;
using System.Text.Json;
using DinoSeg.Evaluation;
using static DinoSeg.Cli.ModelArguments;

namespace DinoSeg.Cli;

/// <summary><c>dinoseg eval</c>: one-click IoU and NoC@85/90 (RITM protocol) over a folder of image + mask pairs.</summary>
internal static class EvalCommand
{
    public const string Usage = """
        usage: dinoseg eval DIR [--threshold T|auto] [--rule R] [--sigma PX]
                       [--refine none|guided|grabcut|crf] [--refine-radius PX] [--refine-eps E]
                       [--crf-temperature T] [--crf-bilateral W,SPATIAL,COLOR] [--crf-smooth W,SPATIAL] [--scales S1,S2,...]
                       [--propagation none|graph] [--graph-k K] [--graph-tau T] [--graph-alpha A]
                       [--keep-seed-regions] [--min-area PX] [--fill-holes PX] [--smooth R]
                       [--backbone default|resnet18-l3|dinov3|dinov2] [--long-side PX] [--model PATH.onnx]
                       [--device auto|cpu|cuda] [--max-clicks N] [--json]

        Scores the segmenter on every NAME.png|jpg + NAME.mask.png pair in DIR (e.g. samples/evalset): the first click
        at the object's deepest interior point, each next click at the deepest point of the largest error region
        (positive on a missed part, negative on a false one), up to --max-clicks (20). Prints per-image one-click IoU,
        NoC@85 and NoC@90, then the means. See docs/quality.md.

          --threshold T|auto  fixed threshold in [-1, 1], or auto (the default): chosen per click by --rule
          --rule R            rule for auto: ranked-otsu (default: Otsu held within [0.3, 0.5] on ranked maps),
                              otsu, patch-otsu, seed-median, stable (the ladder threshold whose finished mask,
                      refinement included, changes least: 10 mask finishes per click)
          --sigma PX          Gaussian σ on the similarity map before the threshold (default 4)
          --refine M          none (default), guided (guided filter with the image as guide), grabcut (GrabCut
                              in a band around the mask edge) or crf (fully-connected CRF on a 256-px working grid)
          --refine-radius PX  guided-filter radius (default 16); --refine-eps E: its ε (default 0.001)
          --crf-temperature T the CRF unary's T: P(object) = logistic((s - threshold) / T) (default 0.1)
          --crf-bilateral W,SPATIAL,COLOR   the CRF's bilateral kernel: weight, σ in working-grid pixels, σ in colour
                              levels (default 5,40,8); --crf-smooth W,SPATIAL: its Gaussian kernel (default 1,1)
          --scales S1,S2      extract at several long sides and fuse (e.g. 512,768); default: one scale
          --propagation P     graph (default): rank the similarity over the image's patch graph; none: plain cosine
          --graph-k K         graph neighbours per patch (default 10); --graph-tau T: edge temperature (0.2);
                              --graph-alpha A: how far ranking spreads, in [0, 0.9999] (0.99)
          --keep-seed-regions keep only the connected regions that hold a positive click
          --min-area PX       remove regions smaller than PX pixels (regions holding a positive click stay)
          --fill-holes PX     fill holes of up to PX pixels; --smooth R: majority filter of radius R on the mask
          --backbone, --model, --device   as for dinoseg segment; --backbone resnet18-l3: the embedded model's layer 3
                              alone (as before layers 2 and 4 were fused)
          --long-side PX      working long side in [16, 4096] (default: the backbone's; not with --scales)
          --max-clicks N      click budget per image (default 20)
          --json              print one JSON object with the settings, per-image scores and means

        examples:
          dinoseg eval samples/evalset
          dinoseg eval samples/evalset --refine guided --scales 512,768 --json
          dinoseg eval samples/evalset --propagation none --threshold 0.2
          dinoseg eval my-set --backbone dinov3 --model dinov3_vitl16.onnx --threshold 0.5
        """;

    public static int Run(IReadOnlyList<string> args, TextWriter stdout)
    {
        string? dir = null, rule = null, refine = null, thresholdText = null, scalesText = null, propagation = null;
        double? sigma = null, eps = null, tau = null, alpha = null;
        double[]? crfBilateral = null, crfSmooth = null;
        double? crfTemperature = null;
        int? radius = null, maxClicks = null, neighbours = null, minArea = null, fillHoles = null, smooth = null;
        var model = new ModelArguments();
        bool json = false, keepSeedRegions = false;
        for (int i = 0; i < args.Count; i++)
        {
            if (ModelArguments.TryTake(args, ref i, ref model)) continue;
            string arg = args[i];
            switch (arg)
            {
                case "--threshold": thresholdText = Once(thresholdText, arg, Value(args, ref i)); break;
                case "--rule": rule = Once(rule, arg, Value(args, ref i)); break;
                case "--sigma": sigma = Once(sigma, arg, SegmentArguments.ParseSigma(arg, Value(args, ref i))); break;
                case "--refine": refine = Once(refine, arg, Value(args, ref i)); break;
                case "--refine-radius": radius = Once(radius, arg, ParseInt(arg, Value(args, ref i), 1, 256)); break;
                case "--refine-eps": eps = Once(eps, arg, ParseDouble(arg, Value(args, ref i), 1e-6, 1)); break;
                case "--crf-temperature": crfTemperature = Once(crfTemperature, arg, ParseDouble(arg, Value(args, ref i), 1e-3, 1)); break;
                case "--crf-bilateral": crfBilateral = Once(crfBilateral, arg, ParseNumbers(arg, Value(args, ref i), "W,SPATIAL,COLOR", [(0, 100), (1, CrfOptions.WorkingLongSide), (1, 255)])); break;
                case "--crf-smooth": crfSmooth = Once(crfSmooth, arg, ParseNumbers(arg, Value(args, ref i), "W,SPATIAL", [(0, 100), (0.25, 16)])); break;
                case "--scales": scalesText = Once(scalesText, arg, Value(args, ref i)); break;
                case "--propagation": propagation = Once(propagation, arg, Value(args, ref i)); break;
                case "--graph-k": neighbours = Once(neighbours, arg, ParseInt(arg, Value(args, ref i), 1, 64)); break;
                case "--graph-tau": tau = Once(tau, arg, ParseDouble(arg, Value(args, ref i), 1e-3, 10)); break;
                case "--graph-alpha": alpha = Once(alpha, arg, ParseDouble(arg, Value(args, ref i), 0, 0.9999)); break;
                case "--max-clicks": maxClicks = Once(maxClicks, arg, ParseInt(arg, Value(args, ref i), 1, 100)); break;
                case "--json": json = true; break;
                case "--keep-seed-regions": keepSeedRegions = true; break;
                case "--min-area": minArea = Once(minArea, arg, ParseInt(arg, Value(args, ref i), 0, int.MaxValue)); break;
                case "--fill-holes": fillHoles = Once(fillHoles, arg, SegmentArguments.ParseFillHoles(Value(args, ref i))); break;
                case "--smooth": smooth = Once(smooth, arg, SegmentArguments.ParseSmooth(Value(args, ref i))); break;
                default:
                    if (arg.StartsWith('-') && arg.Length > 1) throw new UsageException($"unknown option '{arg}' (see dinoseg eval --help)");
                    dir = dir is null ? arg : throw new UsageException($"one DIR expected, found '{dir}' and '{arg}'");
                    break;
            }
        }

        if (dir is null) throw new UsageException("missing DIR: a folder of NAME.png + NAME.mask.png pairs (see dinoseg eval --help)");
        model = model.Validated();
        ThresholdRule thresholdRule = ParseRule(rule);
        if (rule is not null && thresholdText is not (null or "auto")) throw new UsageException("--rule only applies with --threshold auto");
        Refinement refinement = SegmentArguments.ParseRefinement(refine);
        if (refinement != Refinement.GuidedFilter && (radius is not null || eps is not null)) throw new UsageException("--refine-radius and --refine-eps need --refine guided");
        if (refinement != Refinement.DenseCrf && (crfTemperature is not null || crfBilateral is not null || crfSmooth is not null))
        {
            throw new UsageException("--crf-temperature, --crf-bilateral and --crf-smooth need --refine crf");
        }

        int[] scales = scalesText is null ? [] : ParseScales(scalesText);
        Propagation propagationMode = propagation is null ? SegmentationOptions.Default.Propagation : ParsePropagation(propagation);
        if (propagationMode != Propagation.Graph && (neighbours is not null || tau is not null || alpha is not null))
        {
            throw new UsageException("--graph-k, --graph-tau and --graph-alpha need --propagation graph");
        }
        if (!Directory.Exists(dir)) throw new UsageException($"no folder at '{dir}'");
        IReadOnlyList<EvaluationItem> items = EvaluationSet.Load(dir);

        using IFeatureExtractor extractor = model.CreateExtractor(scales);
        float? threshold = thresholdText switch
        {
            null or "auto" => null,
            _ => ParseThreshold("--threshold", thresholdText),
        };
        var defaults = SegmentationOptions.Default;
        var options = defaults with
        {
            SimilaritySigma = sigma ?? defaults.SimilaritySigma,
            Refinement = refinement,
            RefineRadius = radius ?? defaults.RefineRadius,
            RefineEpsilon = eps ?? defaults.RefineEpsilon,
            Propagation = propagationMode,
            KeepSeedRegionsOnly = keepSeedRegions,
            MinRegionArea = minArea ?? defaults.MinRegionArea,
            FillHolesArea = fillHoles ?? defaults.FillHolesArea,
            SmoothRadius = smooth ?? defaults.SmoothRadius,
            Graph = defaults.Graph with
            {
                Neighbours = neighbours ?? defaults.Graph.Neighbours,
                Temperature = tau ?? defaults.Graph.Temperature,
                Alpha = alpha ?? defaults.Graph.Alpha,
            },
            Crf = defaults.Crf with
            {
                Temperature = crfTemperature ?? defaults.Crf.Temperature,
                BilateralWeight = crfBilateral?[0] ?? defaults.Crf.BilateralWeight,
                BilateralSpatial = crfBilateral?[1] ?? defaults.Crf.BilateralSpatial,
                BilateralColor = crfBilateral?[2] ?? defaults.Crf.BilateralColor,
                SmoothnessWeight = crfSmooth?[0] ?? defaults.Crf.SmoothnessWeight,
                SmoothnessSpatial = crfSmooth?[1] ?? defaults.Crf.SmoothnessSpatial,
            },
            ComputeSoftMask = false,
        };
        var protocol = new ClickProtocol(maxClicks ?? ClickProtocol.DefaultMaxClicks);
        EvaluationReport report = new Evaluator(extractor, new SimilaritySegmenter(options), threshold, thresholdRule, protocol).Evaluate(items);

        string thresholdLabel = threshold is { } t ? t.ToString("0.###", CultureInfo.InvariantCulture) : $"auto ({RuleName(thresholdRule)})";
        if (json)
        {
            var doc = new
            {
                directory = dir,
                backbone = extractor.Backbone.Name,
                scales,
                threshold = threshold is null ? "auto" : (object)threshold.Value,
                rule = threshold is null ? RuleName(thresholdRule) : null,
                similaritySigma = options.SimilaritySigma,
                refinement = SegmentArguments.RefinementName(refinement),
                propagation = propagationMode == Propagation.Graph ? "graph" : "none",
                keepSeedRegions = options.KeepSeedRegionsOnly,
                minRegionArea = options.MinRegionArea,
                fillHolesArea = options.FillHolesArea,
                smoothRadius = options.SmoothRadius,
                graphNeighbours = propagationMode == Propagation.Graph ? options.Graph.Neighbours : (int?)null,
                graphTemperature = propagationMode == Propagation.Graph ? options.Graph.Temperature : (double?)null,
                graphAlpha = propagationMode == Propagation.Graph ? options.Graph.Alpha : (double?)null,
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
            stdout.WriteLine($"{dir}: {items.Count} images, {extractor.Backbone.Name}{(scales.Length > 0 ? " at " + string.Join('+', scales) : "")}, " +
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

    internal static ThresholdRule ParseRule(string? text) => text switch
    {
        null => SegmentationOptions.Default.ThresholdRule,
        "ranked-otsu" => ThresholdRule.RankedOtsu,
        "otsu" => ThresholdRule.Otsu,
        "patch-otsu" => ThresholdRule.PatchOtsu,
        "seed-median" => ThresholdRule.SeedMedianMidpoint,
        "stable" => ThresholdRule.StableMask,
        _ => throw new UsageException($"--rule must be ranked-otsu, otsu, patch-otsu, seed-median or stable, not '{text}'"),
    };

    internal static string RuleName(ThresholdRule rule) => rule switch
    {
        ThresholdRule.RankedOtsu => "ranked-otsu",
        ThresholdRule.PatchOtsu => "patch-otsu",
        ThresholdRule.Otsu => "otsu",
        ThresholdRule.StableMask => "stable",
        _ => "seed-median",
    };

    private static double ParseDouble(string option, string text, double min, double max) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v >= min && v <= max
            ? v
            : throw new UsageException($"{option} expects a number in [{min}, {max}], not '{text}'");

    /// <summary>Comma-separated numbers, one per (min, max) range, as --crf-bilateral and --crf-smooth take them.</summary>
    private static double[] ParseNumbers(string option, string text, string shape, (double Min, double Max)[] ranges)
    {
        string[] parts = text.Split(',');
        if (parts.Length != ranges.Length) throw new UsageException($"{option} expects {shape}, not '{text}'");
        var values = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++) values[i] = ParseDouble(option, parts[i], ranges[i].Min, ranges[i].Max);
        return values;
    }

    /// <summary>The refinement and its settings, as the text report's header prints them.</summary>
    private static string RefineLabel(Refinement refinement, SegmentationOptions o) => refinement switch
    {
        Refinement.GuidedFilter => $"guided r{o.RefineRadius} ε{o.RefineEpsilon}",
        Refinement.DenseCrf => string.Create(CultureInfo.InvariantCulture,
            $"crf T{o.Crf.Temperature} bilateral {o.Crf.BilateralWeight},{o.Crf.BilateralSpatial},{o.Crf.BilateralColor} smooth {o.Crf.SmoothnessWeight},{o.Crf.SmoothnessSpatial}"),
        _ => SegmentArguments.RefinementName(refinement),
    };
}
