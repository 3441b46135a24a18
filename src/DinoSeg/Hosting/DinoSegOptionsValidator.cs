using Microsoft.Extensions.Options;

namespace DinoSeg;

/// <summary>Checks <see cref="DinoSegOptions"/> when first read, so a bad set-up fails with every problem named at once.</summary>
/// <remarks>
/// The options types check themselves by throwing on their first bad value. To name every bad value, each property is
/// checked on its own: the user's value copied into a known-good baseline (the defaults), and a problem counted only when
/// the exception names that property. A last pass over the user's options, with the properties already reported put back
/// to the baseline, catches what depends on several properties at once (a backbone's patch size, long side and blocks) and
/// any property added later without a line here.
/// </remarks>
internal sealed class DinoSegOptionsValidator : IValidateOptions<DinoSegOptions>
{
    public ValidateOptionsResult Validate(string? name, DinoSegOptions options)
    {
        var problems = new List<string>();
        if (options.ModelPath is { } path)
        {
            if (string.IsNullOrWhiteSpace(path)) problems.Add("DinoSeg: ModelPath is empty; set it to an .onnx file or leave it null for the embedded backbone.");
            else if (!File.Exists(path)) problems.Add($"DinoSeg: ModelPath '{path}' does not exist; export a backbone (see docs/models.md) or leave it null for the embedded one.");
            if (options.Backbone is null) problems.Add("DinoSeg: Backbone is required with ModelPath; set the preset the model was exported as (e.g. Backbone.Dinov3).");
        }
        else if (options.Backbone is { IsEmbedded: false } backbone)
        {
            problems.Add($"DinoSeg: Backbone '{backbone.Name}' needs ModelPath; only the ResNet18 backbone is embedded.");
        }

        if (options.Backbone is { } preset) CheckBackbone(problems, preset);
        if (options.Extractor is null) problems.Add("DinoSeg: Extractor must not be null (ExtractorOptions.Default for the defaults).");
        else CheckExtractor(problems, options.Extractor);
        if (options.Segmentation is null) problems.Add("DinoSeg: Segmentation must not be null (SegmentationOptions.Default for the defaults).");
        else CheckSegmentation(problems, options.Segmentation);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static void CheckBackbone(List<string> problems, Backbone b) => Check(problems, "Backbone", b, Backbone.ResNet18, static x => x.Validate(),
        // Patch size, long side and blocks are checked against each other: the last pass reports them.
        (nameof(Backbone.Name), static (to, from) => to with { Name = from.Name }),
        (nameof(Backbone.RegisterTokens), static (to, from) => to with { RegisterTokens = from.RegisterTokens }),
        (nameof(Backbone.ChannelOrder), static (to, from) => to with { ChannelOrder = from.ChannelOrder }),
        (nameof(Backbone.PixelScale), static (to, from) => to with { PixelScale = from.PixelScale }),
        (nameof(Backbone.Mean), static (to, from) => to with { Mean = from.Mean }),
        (nameof(Backbone.Std), static (to, from) => to with { Std = from.Std }),
        (nameof(Backbone.DefaultThreshold), static (to, from) => to with { DefaultThreshold = from.DefaultThreshold }));

    private static void CheckExtractor(List<string> problems, ExtractorOptions o) => Check(problems, "Extractor", o, ExtractorOptions.Default, static x => x.Validate(),
        (nameof(ExtractorOptions.LongSide), static (to, from) => to with { LongSide = from.LongSide }),
        (nameof(ExtractorOptions.IntraOpThreads), static (to, from) => to with { IntraOpThreads = from.IntraOpThreads }),
        (nameof(ExtractorOptions.CudaDeviceId), static (to, from) => to with { CudaDeviceId = from.CudaDeviceId }),
        (nameof(ExtractorOptions.Logger), static (to, from) => to with { Logger = from.Logger }),
        (nameof(ExtractorOptions.Device), static (to, from) => to with { Device = from.Device }),
        (nameof(ExtractorOptions.GraphOptimization), static (to, from) => to with { GraphOptimization = from.GraphOptimization }),
        (nameof(ExtractorOptions.OptimizedModelPath), static (to, from) => to with { OptimizedModelPath = from.OptimizedModelPath }));

    private static void CheckSegmentation(List<string> problems, SegmentationOptions o)
    {
        // The ranking and CRF options are records of their own: checked property by property too, then left out of the outer pass.
        if (o.Graph is { } graph)
        {
            Check(problems, "Segmentation.Graph", graph, GraphOptions.Default, static x => x.Validate(),
                (nameof(GraphOptions.Neighbours), static (to, from) => to with { Neighbours = from.Neighbours }),
                (nameof(GraphOptions.Temperature), static (to, from) => to with { Temperature = from.Temperature }),
                (nameof(GraphOptions.Alpha), static (to, from) => to with { Alpha = from.Alpha }),
                (nameof(GraphOptions.ReducedDimension), static (to, from) => to with { ReducedDimension = from.ReducedDimension }),
                (nameof(GraphOptions.Tolerance), static (to, from) => to with { Tolerance = from.Tolerance }),
                (nameof(GraphOptions.MaxIterations), static (to, from) => to with { MaxIterations = from.MaxIterations }));
        }
        else
        {
            problems.Add("DinoSeg: Segmentation.Graph must not be null (GraphOptions.Default for the defaults).");
        }

        if (o.Crf is { } crf)
        {
            Check(problems, "Segmentation.Crf", crf, CrfOptions.Default, static x => x.Validate(),
                (nameof(CrfOptions.Temperature), static (to, from) => to with { Temperature = from.Temperature }),
                (nameof(CrfOptions.BilateralWeight), static (to, from) => to with { BilateralWeight = from.BilateralWeight }),
                (nameof(CrfOptions.BilateralSpatial), static (to, from) => to with { BilateralSpatial = from.BilateralSpatial }),
                (nameof(CrfOptions.BilateralColor), static (to, from) => to with { BilateralColor = from.BilateralColor }),
                (nameof(CrfOptions.SmoothnessWeight), static (to, from) => to with { SmoothnessWeight = from.SmoothnessWeight }),
                (nameof(CrfOptions.SmoothnessSpatial), static (to, from) => to with { SmoothnessSpatial = from.SmoothnessSpatial }),
                (nameof(CrfOptions.Iterations), static (to, from) => to with { Iterations = from.Iterations }));
        }
        else
        {
            problems.Add("DinoSeg: Segmentation.Crf must not be null (CrfOptions.Default for the defaults).");
        }

        Check(problems, "Segmentation", o with { Graph = GraphOptions.Default, Crf = CrfOptions.Default }, SegmentationOptions.Default, static x => x.Validate(),
            (nameof(SegmentationOptions.SimilaritySigma), static (to, from) => to with { SimilaritySigma = from.SimilaritySigma }),
            (nameof(SegmentationOptions.FeatherSigma), static (to, from) => to with { FeatherSigma = from.FeatherSigma }),
            (nameof(SegmentationOptions.SeedCombine), static (to, from) => to with { SeedCombine = from.SeedCombine }),
            (nameof(SegmentationOptions.BoxMargin), static (to, from) => to with { BoxMargin = from.BoxMargin }),
            (nameof(SegmentationOptions.MinRegionArea), static (to, from) => to with { MinRegionArea = from.MinRegionArea }),
            (nameof(SegmentationOptions.FillHolesArea), static (to, from) => to with { FillHolesArea = from.FillHolesArea }),
            (nameof(SegmentationOptions.SmoothRadius), static (to, from) => to with { SmoothRadius = from.SmoothRadius }),
            (nameof(SegmentationOptions.Propagation), static (to, from) => to with { Propagation = from.Propagation }),
            (nameof(SegmentationOptions.ThresholdRule), static (to, from) => to with { ThresholdRule = from.ThresholdRule }),
            (nameof(SegmentationOptions.Refinement), static (to, from) => to with { Refinement = from.Refinement }),
            (nameof(SegmentationOptions.RefineRadius), static (to, from) => to with { RefineRadius = from.RefineRadius }),
            (nameof(SegmentationOptions.RefineEpsilon), static (to, from) => to with { RefineEpsilon = from.RefineEpsilon }));
    }

    /// <summary>
    /// Adds one problem per bad property of <paramref name="value"/> (each copied alone into <paramref name="baseline"/>),
    /// then one for what the whole still fails on once those properties are back to the baseline's values.
    /// </summary>
    private static void Check<T>(List<string> problems, string group, T value, T baseline, Action<T> validate,
        params (string Property, Func<T, T, T> Take)[] properties)
    {
        T rest = value;
        foreach ((string property, Func<T, T, T> take) in properties)
        {
            if (Problem(validate, take(baseline, value)) is { } e && e.ParamName == property)
            {
                problems.Add($"DinoSeg: {group}.{property}: {e.Message}");
                rest = take(rest, baseline);
            }
        }

        if (Problem(validate, rest) is { } last) problems.Add($"DinoSeg: {group}{(last.ParamName is { } p ? "." + p : "")}: {last.Message}");
    }

    // The options types validate themselves with argument exceptions; anything else is a bug and propagates.
    private static ArgumentException? Problem<T>(Action<T> validate, T value)
    {
        try
        {
            validate(value);
            return null;
        }
        catch (ArgumentException e)
        {
            return e;
        }
    }
}
