using DinoSeg;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

// The conventional namespace for Add* extensions: they show up wherever services are configured, with no extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers DinoSeg with a service container.</summary>
/// <remarks>Call while configuring the container, not concurrently with other registrations (as with any IServiceCollection).</remarks>
public static class DinoSegServiceCollectionExtensions
{
    /// <summary>
    /// Registers singletons built from <see cref="DinoSegOptions"/>: <see cref="OnnxFeatureExtractor"/> (also as
    /// <see cref="IFeatureExtractor"/>) and <see cref="DinoSegmenter"/>. The model loads when one is first resolved; options
    /// are validated then, failing with <see cref="OptionsValidationException"/> that names every problem. When an
    /// <see cref="ILoggerFactory"/> is registered the extractor logs to category <c>DinoSeg.OnnxFeatureExtractor</c>.
    /// </summary>
    /// <example><code>
    /// services.AddDinoSeg(o =>
    /// {
    ///     o.ModelPath = "dinov3_vitl16.onnx";
    ///     o.Backbone = Backbone.Dinov3;
    ///     o.Extractor = o.Extractor with { Device = ExecutionDevice.Auto };
    /// });
    /// </code></example>
    /// <param name="services">The container's registrations.</param>
    /// <param name="configure">Sets the options; none keeps the embedded backbone with default options.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddDinoSeg(this IServiceCollection services, Action<DinoSegOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        OptionsBuilder<DinoSegOptions> options = services.AddOptions<DinoSegOptions>();
        if (configure is not null) options.Configure(configure);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DinoSegOptions>, DinoSegOptionsValidator>());
        services.TryAddSingleton(CreateExtractor);
        services.TryAddSingleton<IFeatureExtractor>(provider => provider.GetRequiredService<OnnxFeatureExtractor>());
        // The container owns (and disposes) the extractor, so the segmenter must not.
        services.TryAddSingleton(provider => new DinoSegmenter(provider.GetRequiredService<IFeatureExtractor>(),
            provider.GetRequiredService<IOptions<DinoSegOptions>>().Value.Segmentation, ownsExtractor: false));
        return services;
    }

    private static OnnxFeatureExtractor CreateExtractor(IServiceProvider provider)
    {
        DinoSegOptions options = provider.GetRequiredService<IOptions<DinoSegOptions>>().Value;
        ExtractorOptions extractor = options.Extractor;
        if (provider.GetService<ILoggerFactory>() is { } loggers) extractor = extractor with { Logger = loggers.CreateLogger<OnnxFeatureExtractor>() };
        return options.ModelPath is { } path
            ? OnnxFeatureExtractor.Create(path, options.Backbone!, extractor)
            : OnnxFeatureExtractor.CreateEmbedded(options.Backbone ?? Backbone.ResNet18, extractor);
    }
}
