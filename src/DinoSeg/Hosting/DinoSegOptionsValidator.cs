using Microsoft.Extensions.Options;

namespace DinoSeg;

/// <summary>Checks <see cref="DinoSegOptions"/> when first read, so a bad set-up fails with every problem named at once.</summary>
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

        Check(problems, "Backbone", () => options.Backbone?.Validate());
        if (options.Extractor is null) problems.Add("DinoSeg: Extractor must not be null (ExtractorOptions.Default for the defaults).");
        else Check(problems, "Extractor", options.Extractor.Validate);
        if (options.Segmentation is null) problems.Add("DinoSeg: Segmentation must not be null (SegmentationOptions.Default for the defaults).");
        else Check(problems, "Segmentation", options.Segmentation.Validate);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    // The options types validate themselves with argument exceptions; report their message under the property's name.
    private static void Check(List<string> problems, string property, Action validate)
    {
        try
        {
            validate();
        }
        catch (ArgumentException e)
        {
            problems.Add($"DinoSeg: {property}: {e.Message}");
        }
    }
}
