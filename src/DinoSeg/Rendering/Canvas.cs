using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Rendering;

/// <summary>
/// Clipped drawing primitives on an <see cref="Image{Rgb24}"/>, one pixel row span at a time: rectangles, outlines,
/// rings, discs and bitmap text. Anything outside the image is silently skipped.
/// </summary>
internal readonly struct Canvas(Image<Rgb24> image)
{
    public Image<Rgb24> Image { get; } = image;

    public int Width => Image.Width;

    public int Height => Image.Height;

    public Span<Rgb24> Row(int y) => Image.DangerousGetPixelRowMemory(y).Span;

    public void Clear(Rgb24 colour)
    {
        for (int y = 0; y < Height; y++) Row(y).Fill(colour);
    }

    /// <summary>Fills [x0, x1) × [y0, y1).</summary>
    public void FillRect(int x0, int y0, int x1, int y1, Rgb24 colour)
    {
        x0 = Math.Max(x0, 0);
        y0 = Math.Max(y0, 0);
        x1 = Math.Min(x1, Width);
        y1 = Math.Min(y1, Height);
        if (x0 >= x1) return;
        for (int y = y0; y < y1; y++) Row(y)[x0..x1].Fill(colour);
    }

    /// <summary>Outlines [x0, x1) × [y0, y1) with a border <paramref name="thickness"/> pixels wide, drawn inside the rectangle.</summary>
    public void StrokeRect(int x0, int y0, int x1, int y1, int thickness, Rgb24 colour)
    {
        int t = Math.Max(1, thickness);
        FillRect(x0, y0, x1, Math.Min(y0 + t, y1), colour);
        FillRect(x0, Math.Max(y1 - t, y0), x1, y1, colour);
        FillRect(x0, y0, Math.Min(x0 + t, x1), y1, colour);
        FillRect(Math.Max(x1 - t, x0), y0, x1, y1, colour);
    }

    /// <summary>
    /// An anti-aliased ring centred on (<paramref name="cx"/>, <paramref name="cy"/>) in continuous coordinates (pixel
    /// (x, y) covers [x, x+1) × [y, y+1)), covering distances radius ± thickness / 2 from the centre.
    /// </summary>
    public void Ring(double cx, double cy, double radius, double thickness, Rgb24 colour) =>
        Annulus(cx, cy, Math.Max(0, radius - thickness / 2), radius + thickness / 2, colour);

    /// <summary>An anti-aliased filled disc of <paramref name="radius"/> around (cx, cy).</summary>
    public void Disc(double cx, double cy, double radius, Rgb24 colour) => Annulus(cx, cy, 0, radius, colour);

    public void Text(ReadOnlySpan<char> text, int x, int y, int scale, Rgb24 colour) => BitmapFont.Draw(this, text, x, y, scale, colour);

    /// <summary>
    /// Blends <paramref name="colour"/> into every pixel whose centre lies between <paramref name="inner"/> and
    /// <paramref name="outer"/> from the centre, with a one-pixel linear fall-off at both edges.
    /// </summary>
    private void Annulus(double cx, double cy, double inner, double outer, Rgb24 colour)
    {
        int y0 = Math.Max(0, (int)Math.Floor(cy - outer - 1)), y1 = Math.Min(Height - 1, (int)Math.Ceiling(cy + outer + 1));
        int x0 = Math.Max(0, (int)Math.Floor(cx - outer - 1)), x1 = Math.Min(Width - 1, (int)Math.Ceiling(cx + outer + 1));
        for (int y = y0; y <= y1; y++)
        {
            Span<Rgb24> row = Row(y);
            double dy = y + 0.5 - cy;
            for (int x = x0; x <= x1; x++)
            {
                double dx = x + 0.5 - cx, d = Math.Sqrt(dx * dx + dy * dy);
                double coverage = Math.Clamp(outer + 0.5 - d, 0, 1);
                if (inner > 0) coverage *= Math.Clamp(d - inner + 0.5, 0, 1);
                if (coverage <= 0) continue;
                ref Rgb24 p = ref row[x];
                float w = (float)coverage;
                p = new Rgb24(Mix(p.R, colour.R, w), Mix(p.G, colour.G, w), Mix(p.B, colour.B, w));
            }
        }
    }

    private static byte Mix(byte from, byte to, float weight) => (byte)(from + (to - from) * weight + 0.5f);
}
