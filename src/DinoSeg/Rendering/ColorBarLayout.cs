namespace DinoSeg.Rendering;

/// <summary>
/// Where the parts of the similarity heatmap go: the map itself at [0, MapWidth), then a margin, the colour bar (a
/// vertical viridis strip, +1 at the top), tick marks and labels, and a right margin. Depends only on the map's size,
/// so the image keeps its width while the threshold moves.
/// </summary>
internal readonly record struct ColorBarLayout
{
    public const string WidestThresholdLabel = "t=-0.00";

    private ColorBarLayout(int mapWidth, int mapHeight)
    {
        MapWidth = mapWidth;
        TextScale = Math.Max(1, (int)Math.Round(mapHeight / 200.0));
        BarWidth = Math.Max(16, mapWidth / 40);
        int margin = Math.Max(6, BarWidth / 2);
        Margin = margin;
        BarX0 = mapWidth + margin;
        BarX1 = BarX0 + BarWidth;
        TickLength = Math.Max(3, 2 * TextScale);
        LabelX = BarX1 + 1 + TickLength + 2 * TextScale;
        Width = LabelX + BitmapFont.Measure(WidestThresholdLabel, TextScale) + margin;
        int pad = BitmapFont.CapHeight * TextScale / 2 + TextScale;
        BarTop = Math.Min(pad, (mapHeight - 1) / 2);
        BarBottom = mapHeight - BarTop;
    }

    /// <summary>Width of the similarity map on the left.</summary>
    public int MapWidth { get; }

    /// <summary>Integer scale of the bitmap font.</summary>
    public int TextScale { get; }

    /// <summary>Gap between the map and the bar, and after the labels.</summary>
    public int Margin { get; }

    /// <summary>Width of the colour strip.</summary>
    public int BarWidth { get; }

    /// <summary>First column of the colour strip.</summary>
    public int BarX0 { get; }

    /// <summary>One past the last column of the colour strip.</summary>
    public int BarX1 { get; }

    /// <summary>First row of the colour strip (value +1).</summary>
    public int BarTop { get; }

    /// <summary>One past the last row of the colour strip (value -1 on the row before).</summary>
    public int BarBottom { get; }

    /// <summary>Length of the tick marks right of the bar.</summary>
    public int TickLength { get; }

    /// <summary>Left edge of the tick and threshold labels.</summary>
    public int LabelX { get; }

    /// <summary>Width of the whole heatmap image.</summary>
    public int Width { get; }

    public static ColorBarLayout For(int mapWidth, int mapHeight) => new(mapWidth, mapHeight);

    /// <summary>The bar row that shows <paramref name="value"/> (clamped to [-1, 1]).</summary>
    public int RowOf(float value)
    {
        float v = Math.Clamp(value, -1f, 1f);
        return BarTop + (int)Math.Round((1 - v) / 2 * (BarBottom - BarTop - 1), MidpointRounding.AwayFromZero);
    }

    /// <summary>The value the bar shows on <paramref name="row"/>.</summary>
    public float ValueAt(int row)
    {
        int length = BarBottom - BarTop;
        return length <= 1 ? 0f : 1f - 2f * (row - BarTop) / (length - 1);
    }
}
