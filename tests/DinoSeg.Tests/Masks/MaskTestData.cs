namespace DinoSeg.Tests.Masks;

/// <summary>Random masks for the clean-up and export tests, and the plain references they are checked against.</summary>
internal static class MaskTestData
{
    /// <summary>Salt-and-pepper noise at a density (0/255).</summary>
    public static byte[] Noise(Random random, int width, int height, double density)
    {
        var mask = new byte[width * height];
        for (int i = 0; i < mask.Length; i++) mask[i] = random.NextDouble() < density ? (byte)255 : (byte)0;
        return mask;
    }

    /// <summary>
    /// Blobs with holes and specks: a few random discs and rings, minus a few smaller discs, plus a little noise, so masks
    /// have regions of many sizes, holes of many sizes (some touching the border) and ragged edges.
    /// </summary>
    public static byte[] Blobs(Random random, int width, int height, double noise = 0.01)
    {
        var mask = new byte[width * height];
        int shapes = 2 + random.Next(5);
        for (int s = 0; s < shapes; s++)
        {
            double cx = random.NextDouble() * width, cy = random.NextDouble() * height;
            double r = 2 + random.NextDouble() * Math.Min(width, height) / 3;
            double inner = random.Next(3) == 0 ? r * random.NextDouble() * 0.7 : -1; // a ring now and then
            Paint(mask, width, height, cx, cy, r, inner, 255);
        }

        for (int s = random.Next(4); s > 0; s--)
        {
            Paint(mask, width, height, random.NextDouble() * width, random.NextDouble() * height, 1 + random.NextDouble() * Math.Min(width, height) / 8, -1, 0);
        }

        for (int i = 0; i < mask.Length; i++)
        {
            if (random.NextDouble() < noise) mask[i] = (byte)(255 - mask[i]);
        }

        return mask;
    }

    private static void Paint(byte[] mask, int width, int height, double cx, double cy, double r, double inner, byte value)
    {
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                double d = Math.Sqrt((x + 0.5 - cx) * (x + 0.5 - cx) + (y + 0.5 - cy) * (y + 0.5 - cy));
                if (d <= r && d > inner) mask[y * width + x] = value;
            }
        }
    }

    /// <summary>Connected components by breadth-first search: -1 where <paramref name="on"/> fails, else the component number.</summary>
    public static int[] Components(byte[] mask, int width, int height, bool on, bool eight, out List<int> areas, out List<bool> touchesBorder)
    {
        var label = new int[mask.Length];
        Array.Fill(label, -1);
        areas = [];
        touchesBorder = [];
        var queue = new Queue<int>();
        for (int i = 0; i < mask.Length; i++)
        {
            if ((mask[i] != 0) != on || label[i] >= 0) continue;
            int id = areas.Count, area = 0;
            bool border = false;
            label[i] = id;
            queue.Enqueue(i);
            while (queue.Count > 0)
            {
                int p = queue.Dequeue();
                area++;
                int px = p % width, py = p / width;
                border |= px == 0 || py == 0 || px == width - 1 || py == height - 1;
                for (int dy = -1; dy <= 1; dy++)
                {
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        if ((dx == 0 && dy == 0) || (!eight && dx != 0 && dy != 0)) continue;
                        int x = px + dx, y = py + dy;
                        if (x < 0 || y < 0 || x >= width || y >= height) continue;
                        int q = y * width + x;
                        if ((mask[q] != 0) != on || label[q] >= 0) continue;
                        label[q] = id;
                        queue.Enqueue(q);
                    }
                }
            }

            areas.Add(area);
            touchesBorder.Add(border);
        }

        return label;
    }

    public static double IoU(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        int both = 0, either = 0;
        for (int i = 0; i < a.Length; i++)
        {
            bool x = a[i] != 0, y = b[i] != 0;
            both += x && y ? 1 : 0;
            either += x || y ? 1 : 0;
        }

        return either == 0 ? 1 : (double)both / either;
    }
}
