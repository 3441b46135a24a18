using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Rendering;

/// <summary>
/// A tiny proportional bitmap font (7-pixel capitals, 2-pixel descenders) for the labels the renderers need:
/// digits, <c>- . = </c>, space, and the letters of the view titles. Other characters draw as a hollow box.
/// </summary>
internal static class BitmapFont
{
    /// <summary>Rows from the top of a line to the baseline (capital height), at scale 1.</summary>
    public const int CapHeight = 7;

    /// <summary>Rows of a whole line including descenders, at scale 1.</summary>
    public const int LineHeight = 9;

    private const int SpaceWidth = 3;

    // Each glyph: rows top to bottom separated by '/', '#' = ink. The first row's length is the glyph's width.
    private static readonly (char Char, string Art)[] Art =
    [
        ('0', ".###./#...#/#..##/#.#.#/##..#/#...#/.###."),
        ('1', ".#./##./.#./.#./.#./.#./###"),
        ('2', ".###./#...#/....#/...#./..#../.#.../#####"),
        ('3', "#####/...#./..#../...#./....#/#...#/.###."),
        ('4', "...#./..##./.#.#./#..#./#####/...#./...#."),
        ('5', "#####/#..../####./....#/....#/#...#/.###."),
        ('6', "..##./.#.../#..../####./#...#/#...#/.###."),
        ('7', "#####/....#/...#./..#../.#.../.#.../.#..."),
        ('8', ".###./#...#/#...#/.###./#...#/#...#/.###."),
        ('9', ".###./#...#/#...#/.####/....#/...#./.##.."),
        ('-', "..../..../..../####"),
        ('.', "../../../../../##/##"),
        ('=', "..../..../####/..../####"),
        ('C', ".###./#...#/#..../#..../#..../#...#/.###."),
        ('M', "#...#/##.##/#.#.#/#.#.#/#...#/#...#/#...#"),
        ('O', ".###./#...#/#...#/#...#/#...#/#...#/.###."),
        ('S', ".####/#..../#..../.###./....#/....#/####."),
        ('a', "..../..../.##./...#/.###/#..#/.###"),
        ('e', "..../..../.##./#..#/####/#.../.###"),
        ('g', "..../..../.###/#..#/#..#/#..#/.###/...#/.##."),
        ('i', "#/./#/#/#/#/#"),
        ('k', "#.../#.../#..#/#.#./##../#.#./#..#"),
        ('l', "#./#./#./#./#./#./.#"),
        ('m', "...../...../##.#./#.#.#/#.#.#/#.#.#/#.#.#"),
        ('n', "..../..../###./#..#/#..#/#..#/#..#"),
        ('o', "..../..../.##./#..#/#..#/#..#/.##."),
        ('r', "..../..../#.##/##../#.../#.../#..."),
        ('s', "..../..../.###/#.../.##./...#/###."),
        ('t', ".#./.#./###/.#./.#./.#./..#"),
        ('u', "..../..../#..#/#..#/#..#/#..#/.###"),
        ('v', "...../...../#...#/#...#/#...#/.#.#./..#.."),
        ('y', "..../..../#..#/#..#/#..#/#..#/.###/...#/###."),
    ];

    private static readonly Glyph[] Glyphs = Build();

    private static readonly Glyph Missing = new(5, [0b11111, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b11111, 0, 0]);

    /// <summary>Width in pixels of <paramref name="text"/> drawn at <paramref name="scale"/> (1 column between glyphs).</summary>
    public static int Measure(ReadOnlySpan<char> text, int scale)
    {
        if (text.IsEmpty) return 0;
        int width = 0;
        foreach (char c in text) width += Advance(c);
        return (width - 1) * scale;
    }

    /// <summary>Draws <paramref name="text"/> with its top-left corner at (x, y); pixels outside <paramref name="canvas"/> are skipped.</summary>
    public static void Draw(Canvas canvas, ReadOnlySpan<char> text, int x, int y, int scale, Rgb24 colour)
    {
        foreach (char c in text)
        {
            if (c != ' ')
            {
                Glyph glyph = GlyphOf(c);
                for (int row = 0; row < LineHeight; row++)
                {
                    int bits = glyph.Rows[row];
                    for (int col = 0; bits != 0 && col < glyph.Width; col++)
                    {
                        if ((bits >> (glyph.Width - 1 - col) & 1) != 0)
                        {
                            canvas.FillRect(x + col * scale, y + row * scale, x + (col + 1) * scale, y + (row + 1) * scale, colour);
                        }
                    }
                }
            }

            x += Advance(c) * scale;
        }
    }

    /// <summary>Whether <paramref name="c"/> has its own glyph (others draw as a hollow box).</summary>
    public static bool Supports(char c) => c == ' ' || (c < Glyphs.Length && Glyphs[c].Rows is not null);

    private static int Advance(char c) => c == ' ' ? SpaceWidth + 1 : GlyphOf(c).Width + 1;

    private static Glyph GlyphOf(char c) => c < Glyphs.Length && Glyphs[c].Rows is not null ? Glyphs[c] : Missing;

    private static Glyph[] Build()
    {
        var glyphs = new Glyph[128];
        foreach (var (c, art) in Art)
        {
            string[] rows = art.Split('/');
            int width = rows[0].Length;
            var bits = new int[LineHeight];
            for (int r = 0; r < rows.Length; r++)
            {
                for (int col = 0; col < rows[r].Length; col++)
                {
                    if (rows[r][col] == '#') bits[r] |= 1 << (width - 1 - col);
                }
            }

            glyphs[c] = new Glyph(width, bits);
        }

        return glyphs;
    }

    private readonly record struct Glyph(int Width, int[] Rows);
}
