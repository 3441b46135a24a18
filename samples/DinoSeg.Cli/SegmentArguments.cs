using System.Globalization;
using static DinoSeg.Cli.ModelArguments;

namespace DinoSeg.Cli;

/// <summary>The parsed <c>dinoseg segment</c> command line.</summary>
internal sealed record SegmentArguments
{
    public required string ImagePath { get; init; }

    public required IReadOnlyList<PixelPoint> Seeds { get; init; }

    public IReadOnlyList<PixelPoint> Negatives { get; init; } = [];

    public PixelRect? Box { get; init; }

    public double? BoxMargin { get; init; }

    public bool KeepSeedRegions { get; init; }

    public int MinArea { get; init; }

    /// <summary>--fill-holes: holes of up to this many pixels are filled (0: off).</summary>
    public int FillHoles { get; init; }

    /// <summary>--smooth: majority-filter radius for the mask outline (0: off).</summary>
    public int Smooth { get; init; }

    /// <summary>--format: what to write (default: the PNG views only).</summary>
    public OutputFormats Formats { get; init; } = OutputFormats.Png;

    /// <summary>--polygon-tolerance: Douglas–Peucker tolerance of the polygon, SVG and YOLO outputs, in pixels.</summary>
    public double PolygonTolerance { get; init; } = DefaultPolygonTolerance;

    public const double DefaultPolygonTolerance = 1;

    public float? Threshold { get; init; }

    /// <summary>--threshold auto: the rule picks the threshold per click.</summary>
    public bool AutoThreshold { get; init; }

    public ThresholdRule Rule { get; init; } = SegmentationOptions.Default.ThresholdRule;

    public Refinement Refinement { get; init; }

    /// <summary>--propagation: how the seed similarity becomes the thresholded map (null: the library's default).</summary>
    public Propagation? Propagation { get; init; }

    public double? Sigma { get; init; }

    /// <summary>Long sides to extract at and fuse (--scales); empty for the backbone's one working size.</summary>
    public int[] Scales { get; init; } = [];

    public string Backbone { get; init; } = "default";

    public string? ModelPath { get; init; }

    public ExecutionDevice Device { get; init; } = ExecutionDevice.Auto;

    public required string OutputDirectory { get; init; }

    public bool Json { get; init; }

    /// <summary>A feature file (dinoseg features) to use instead of running the backbone.</summary>
    public string? FeaturesPath { get; init; }

    public const string Usage = """
        usage: dinoseg segment IMAGE (--seed X,Y [--seed X,Y ...] | --box X0,Y0,X1,Y1) [--negative X,Y ...]
                       [--box-margin F] [--keep-seed-regions] [--min-area PX] [--fill-holes PX] [--smooth R]
                       [--threshold T|auto]
                       [--rule R] [--refine none|guided|grabcut|crf] [--propagation graph|none] [--sigma PX] [--backbone default|dinov3|dinov2] [--model PATH.onnx] [--device auto|cpu|cuda]
                       [--format png|rle|coco|polygons|svg|yolo|all] [--polygon-tolerance PX] --out DIR [--json]

        Segments IMAGE from the prompt (seed pixels, negative seeds, a box) and writes mask.png, soft-mask.png,
        similarity.png, overlay.png, cutout.png and panel.png into DIR (and the --format exports).

          IMAGE               PNG, JPEG, BMP, GIF, TGA, TIFF, WebP or PBM file
          --seed X,Y          seed pixel of the original image (repeat for several; similarities combine by max)
          --negative X,Y      negative seed (repeatable): a pixel is selected only where its similarity to the seeds is
                              above its similarity to every negative seed, and reaches the threshold
          --box X0,Y0,X1,Y1   box around the object (X1, Y1 exclusive): its mean patch feature acts as one more seed,
                              and nothing beyond the box plus a margin is selected
          --box-margin F      that margin, as a fraction of the box's width and height (default 0.1)
          --keep-seed-regions keep only the connected regions (8-connected) that hold a seed or overlap the box
          --min-area PX       remove regions smaller than PX pixels (regions holding a seed or overlapping the box stay)
          --fill-holes PX     fill holes of up to PX pixels (not those touching the image border or holding a negative)
          --smooth R          smooth the mask outline with a majority filter of radius R pixels (0: off)
          --threshold T|auto  threshold in [-1, 1], or auto (the default): chosen per click from the map by --rule
                              (measured on the evaluation set: see docs/quality.md); on a ranked map (the default
                              propagation) a fixed T is a fraction of the seed's rank, 0.3 to 0.5 being useful
          --rule R            rule for auto: ranked-otsu (default: Otsu held within [0.3, 0.5] on ranked maps),
                              otsu, patch-otsu, seed-median, stable (the ladder threshold whose finished mask,
                      refinement included, changes least: 10 mask finishes per click)
          --refine M          none (default), guided, grabcut or crf: guided filter with the image as guide, GrabCut
                              (colour models and a graph cut in a band around the mask edge), or a fully-connected
                              CRF (mean field with colour and position kernels on a 256-px working grid), so mask
                              edges follow image edges instead of the 16-px patch grid
          --propagation P     graph (default): rank the similarity over the image's patch graph, so one click
                              selects the whole region rather than the parts like the seed patch; none: plain
                              cosine similarity (a fixed T is then a cosine)
          --sigma PX          Gaussian σ in image pixels applied to the similarity map before the threshold (default 4)
          --scales S1,S2,...  extract at several long sides and fuse them (e.g. 512,768: better masks, one extraction
                              per side; see docs/quality.md); default: the backbone's one working size
          --backbone NAME     default (embedded ResNet18, no download), dinov3 or dinov2 (need --model)
          --model PATH.onnx   exported backbone (see docs/models.md)
          --device D          auto (CUDA if usable, else CPU), cpu, or cuda (fails if CUDA is unusable; the dinoseg tool ships the CPU runtime only)
          --features F        features saved by 'dinoseg features' for this image: skips the backbone (a dinov3/dinov2
                              --backbone, if given, must match the file; --model is then not needed)
          --format F          what to write, comma-separated or repeated (default png): png (the six views above),
                              rle (mask.rle.json: COCO RLE, uncompressed counts), coco (coco.json: a COCO instances file,
                              compressed RLE), polygons (mask.geojson: outer rings and holes), svg (mask.svg), yolo
                              (mask.yolo.txt: YOLO-seg lines, class 0), all (every one); see docs/exports.md
          --polygon-tolerance PX  simplification of polygons, svg and yolo (Douglas-Peucker, default 1; 0: exact)
          --out DIR           output folder (created if missing)
          --json              print one JSON object with sizes, device, threshold, area and timings on stdout

        examples:
          dinoseg segment samples/images/chelsea.png --seed 172,115 --out out
          dinoseg segment samples/images/chelsea.png --seed 172,115 --negative 318,137 --keep-seed-regions --out out
          dinoseg segment samples/images/coffee.png --box 205,95,370,195 --min-area 200 --out out
          dinoseg segment samples/images/chelsea.png --seed 172,115 --fill-holes 500 --format png,coco,yolo --out out
          dinoseg segment photo.jpg --seed 320,240 --backbone dinov3 --model dinov3_vitl16.onnx --threshold 0.4 --out out --json
        """;

    /// <summary>Parses the arguments after <c>segment</c>.</summary>
    /// <exception cref="UsageException">Anything missing, unknown, repeated or malformed.</exception>
    public static SegmentArguments Parse(IReadOnlyList<string> args)
    {
        string? image = null, model = null, output = null, backbone = null, features = null, rule = null, refine = null;
        Propagation? propagation = null;
        int[]? scales = null;
        var seeds = new List<PixelPoint>();
        var negatives = new List<PixelPoint>();
        PixelRect? box = null;
        double? boxMargin = null;
        int? minArea = null, fillHoles = null, smooth = null;
        double? tolerance = null;
        OutputFormats? formats = null;
        bool keepSeedRegions = false;
        float? threshold = null;
        double? sigma = null;
        var device = ExecutionDevice.Auto;
        bool json = false, deviceSet = false, auto = false;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            switch (arg)
            {
                case "--seed":
                    seeds.Add(ParsePoint(arg, Value(args, ref i)));
                    break;
                case "--negative":
                    negatives.Add(ParsePoint(arg, Value(args, ref i)));
                    break;
                case "--box":
                    box = Once(box, arg, ParseBox(Value(args, ref i)));
                    break;
                case "--box-margin":
                    boxMargin = Once(boxMargin, arg, ParseBoxMargin(Value(args, ref i)));
                    break;
                case "--keep-seed-regions":
                    keepSeedRegions = true;
                    break;
                case "--min-area":
                    minArea = Once(minArea, arg, ParseArea(Value(args, ref i)));
                    break;
                case "--fill-holes":
                    fillHoles = Once(fillHoles, arg, ParseFillHoles(Value(args, ref i)));
                    break;
                case "--smooth":
                    smooth = Once(smooth, arg, ParseSmooth(Value(args, ref i)));
                    break;
                case "--format":
                    formats = (formats ?? OutputFormats.None) | ParseFormats(Value(args, ref i));
                    break;
                case "--polygon-tolerance":
                    tolerance = Once(tolerance, arg, ParseTolerance(Value(args, ref i)));
                    break;
                case "--threshold":
                    if (threshold is not null || auto) throw new UsageException("--threshold given twice");
                    string t = Value(args, ref i);
                    if (t == "auto") auto = true;
                    else threshold = ParseThreshold("--threshold", t);
                    break;
                case "--rule":
                    rule = Once(rule, arg, Value(args, ref i));
                    break;
                case "--refine":
                    refine = Once(refine, arg, Value(args, ref i));
                    ParseRefinement(refine);
                    break;
                case "--propagation":
                    propagation = Once(propagation, arg, ParsePropagation(Value(args, ref i)));
                    break;
                case "--sigma":
                    sigma = Once(sigma, arg, ParseSigma(arg, Value(args, ref i)));
                    break;
                case "--scales":
                    scales = Once(scales, arg, ParseScales(Value(args, ref i)));
                    break;
                case "--backbone":
                    backbone = Once(backbone, arg, Value(args, ref i) switch
                    {
                        var name when name is "default" or "dinov3" or "dinov2" => name,
                        var other => throw new UsageException($"--backbone must be default, dinov3 or dinov2, not '{other}'"),
                    });
                    break;
                case "--model":
                    model = Once(model, arg, Value(args, ref i));
                    break;
                case "--device":
                    if (deviceSet) throw new UsageException("--device given twice");
                    deviceSet = true;
                    device = ParseDevice(Value(args, ref i));
                    break;
                case "--out":
                    output = Once(output, arg, Value(args, ref i));
                    break;
                case "--json":
                    json = true;
                    break;
                case "--features":
                    features = Once(features, arg, Value(args, ref i));
                    break;
                default:
                    if (arg.StartsWith('-') && arg.Length > 1) throw new UsageException($"unknown option '{arg}' (see dinoseg segment --help)");
                    image = image is null ? arg : throw new UsageException($"one IMAGE expected, found '{image}' and '{arg}'");
                    break;
            }
        }

        if (image is null) throw new UsageException("missing IMAGE (see dinoseg segment --help)");
        if (seeds.Count == 0 && box is null) throw new UsageException("missing --seed X,Y (or --box X0,Y0,X1,Y1): what to segment");
        if (boxMargin is not null && box is null) throw new UsageException("--box-margin needs --box");
        if (output is null) throw new UsageException("missing --out DIR: where to write the PNGs");
        if (rule is not null && threshold is not null) throw new UsageException("--rule only applies with --threshold auto");
        if (tolerance is not null && ((formats ?? OutputFormats.Png) & (OutputFormats.Polygons | OutputFormats.Svg | OutputFormats.Yolo)) == 0)
        {
            throw new UsageException("--polygon-tolerance needs --format polygons, svg, yolo or all");
        }

        backbone ??= "default";
        if (backbone == "default" && model is not null) throw new UsageException("--model needs --backbone dinov3 or dinov2 (the default backbone is embedded)");
        if (scales is not null && features is not null) throw new UsageException("--scales cannot be used with --features (the file holds features of one extraction)");
        if (backbone != "default" && model is null && features is null) throw new UsageException($"--backbone {backbone} needs --model PATH.onnx (export it with tools/export, see docs/models.md)");
        return new SegmentArguments
        {
            ImagePath = image, Seeds = seeds, Negatives = negatives, Box = box, BoxMargin = boxMargin, KeepSeedRegions = keepSeedRegions,
            MinArea = minArea ?? 0, FillHoles = fillHoles ?? 0, Smooth = smooth ?? 0,
            Formats = formats ?? OutputFormats.Png, PolygonTolerance = tolerance ?? DefaultPolygonTolerance, Threshold = threshold, AutoThreshold = auto, Rule = EvalCommand.ParseRule(rule), Refinement = ParseRefinement(refine),
            Propagation = propagation,
            Sigma = sigma, Scales = scales ?? [], Backbone = backbone,
            ModelPath = model, Device = device, OutputDirectory = output, Json = json,
            FeaturesPath = features,
        };
    }

    private static PixelRect ParseBox(string text)
    {
        string[] parts = text.Split(',');
        var v = new int[4];
        if (parts.Length != 4 || !parts.Select((p, k) => int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out v[k])).All(ok => ok))
        {
            throw new UsageException($"--box expects X0,Y0,X1,Y1 in whole pixels (e.g. 40,30,200,180), not '{text}'");
        }

        if (v[0] >= v[2] || v[1] >= v[3]) throw new UsageException($"--box needs X0 < X1 and Y0 < Y1, not '{text}'");
        return new PixelRect(v[0], v[1], v[2], v[3]);
    }

    private static double ParseBoxMargin(string text)
    {
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double m) && m >= 0 && m <= 10) return m;
        throw new UsageException($"--box-margin expects a fraction of the box size in [0, 10], not '{text}'");
    }

    private static int ParseArea(string text)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int a)) return a;
        throw new UsageException($"--min-area expects a whole number of pixels (0 or more), not '{text}'");
    }

    /// <summary>--fill-holes: a hole area in pixels, 0 or more.</summary>
    internal static int ParseFillHoles(string text)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int a)) return a;
        throw new UsageException($"--fill-holes expects the largest hole to fill in whole pixels (0 or more), not '{text}'");
    }

    /// <summary>--smooth: a majority-filter radius in pixels.</summary>
    internal static int ParseSmooth(string text)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int r) && r <= SegmentationOptions.MaxSmoothRadius) return r;
        throw new UsageException($"--smooth expects a radius in whole pixels in [0, {SegmentationOptions.MaxSmoothRadius}], not '{text}'");
    }

    private static double ParseTolerance(string text)
    {
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double t) && t >= 0 && t <= 1000) return t;
        throw new UsageException($"--polygon-tolerance expects pixels in [0, 1000], not '{text}'");
    }

    /// <summary>--format: one or more comma-separated names.</summary>
    private static OutputFormats ParseFormats(string text)
    {
        var formats = OutputFormats.None;
        foreach (string name in text.Split(','))
        {
            formats |= name switch
            {
                "png" => OutputFormats.Png,
                "rle" => OutputFormats.Rle,
                "coco" => OutputFormats.Coco,
                "polygons" => OutputFormats.Polygons,
                "svg" => OutputFormats.Svg,
                "yolo" => OutputFormats.Yolo,
                "all" => OutputFormats.All,
                _ => throw new UsageException($"--format takes png, rle, coco, polygons, svg, yolo or all (comma-separated), not '{name}'"),
            };
        }

        return formats;
    }

    /// <summary>A σ in image pixels, as both <c>segment</c> and <c>bench</c> take it.</summary>
    internal static double ParseSigma(string option, string text)
    {
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s >= 0 && s <= Kernels.AxisWeights.MaxSigma) return s;
        throw new UsageException($"{option} expects σ in [0, {Kernels.AxisWeights.MaxSigma}] pixels, not '{text}'");
    }

    /// <summary>--refine: none (or absent), guided, grabcut or crf.</summary>
    public static Refinement ParseRefinement(string? value) => value switch
    {
        null or "none" => Refinement.None,
        "guided" => Refinement.GuidedFilter,
        "grabcut" => Refinement.GrabCut,
        "crf" => Refinement.DenseCrf,
        _ => throw new UsageException($"--refine must be none, guided, grabcut or crf, not '{value}'"),
    };

    /// <summary>The --refine name of a refinement, as printed in text and JSON.</summary>
    public static string RefinementName(Refinement refinement) => refinement switch
    {
        Refinement.GuidedFilter => "guided",
        Refinement.GrabCut => "grabcut",
        Refinement.DenseCrf => "crf",
        _ => "none",
    };
}

/// <summary>The outputs of <c>dinoseg segment --format</c>.</summary>
[Flags]
internal enum OutputFormats
{
    None = 0,

    /// <summary>The six PNG views (the default).</summary>
    Png = 1,

    /// <summary>mask.rle.json: COCO RLE with uncompressed counts.</summary>
    Rle = 2,

    /// <summary>coco.json: a COCO instances document, compressed RLE.</summary>
    Coco = 4,

    /// <summary>mask.geojson: the polygons with holes.</summary>
    Polygons = 8,

    /// <summary>mask.svg: the polygons as an SVG path.</summary>
    Svg = 16,

    /// <summary>mask.yolo.txt: YOLO segmentation lines.</summary>
    Yolo = 32,

    All = Png | Rle | Coco | Polygons | Svg | Yolo,
}
