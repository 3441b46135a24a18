namespace DinoSeg.Tests.Features;

/// <summary>The library's one name → preset table, which the CLI's --backbone and the web's DinoSeg:Backbone read.</summary>
public sealed class BackbonePresetTests
{
    [Fact]
    public void FromName_EveryPresetByItsName_AndDefaultIsTheEmbeddedResNet18()
    {
        Assert.Same(Backbone.ResNet18, Backbone.FromName(Backbone.DefaultName));
        foreach (Backbone preset in Backbone.Presets) Assert.Equal(preset, Backbone.FromName(preset.Name));
        Assert.Same(Backbone.Dinov3, Backbone.FromName("DINOv3")); // names are case-insensitive
        Assert.Equal(Backbone.Dinov2(registers: 4), Backbone.FromName("dinov2-reg"));
    }

    [Fact]
    public void PresetNames_AreUnique_AndOnlyTheResNet18PresetsAreEmbedded()
    {
        Assert.Equal(Backbone.PresetNames.Count, Backbone.PresetNames.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Equal(["default", "resnet18-s16", "resnet18-l3"], Backbone.PresetNames.Where(n => Backbone.FromName(n).IsEmbedded));
    }

    [Fact]
    public void FromName_Unknown_ThrowsListingTheNames()
    {
        var e = Assert.Throws<ArgumentException>("name", () => Backbone.FromName("dinov4"));
        Assert.Contains("'dinov4'", e.Message, StringComparison.Ordinal);
        foreach (string name in Backbone.PresetNames) Assert.Contains(name, e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>("name", () => Backbone.FromName(null!));
    }
}
