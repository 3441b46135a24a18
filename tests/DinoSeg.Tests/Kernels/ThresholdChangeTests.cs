using DinoSeg.Kernels;

namespace DinoSeg.Tests.Kernels;

/// <summary>
/// The slider's incremental path: block bounds (<see cref="Threshold.Bounds(ReadOnlySpan{float}, Span{float})"/>) and the threshold change that rewrites only
/// the blocks they cannot rule out (<see cref="Threshold.Change"/>) must leave exactly the mask and count of a full
/// <see cref="Threshold.Apply"/> at the new threshold.
/// </summary>
public sealed class ThresholdChangeTests
{
    private static readonly float[] Specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 0f, 1f, -1f, -2f];

    // Uniform values in [-1, 1]; when `specials`, about one in 40 is a NaN, an infinity, a signed zero, ±1 or −2 (excluded).
    private static float[] Map(Random random, int length, bool specials)
    {
        float[] map = KernelTestData.Uniform(random, length);
        if (!specials) return map;
        for (int i = 0; i < length; i++)
        {
            if (random.Next(40) == 0) map[i] = Specials[random.Next(Specials.Length)];
        }

        return map;
    }

    private static float[] RowBounds(float[] map, int width, SimdWidth simd = SimdWidth.Scalar)
    {
        int rows = width == 0 ? 0 : map.Length / width, blocks = Threshold.BlockCount(width);
        var bounds = new float[rows * 2 * blocks];
        for (int y = 0; y < rows; y++)
        {
            Span<float> row = bounds.AsSpan(y * 2 * blocks, 2 * blocks);
            Threshold.Bounds(map.AsSpan(y * width, width), row[..blocks], row[blocks..], simd);
        }

        return bounds;
    }

    [Theory]
    [MemberData(nameof(KernelTestData.Widths), MemberType = typeof(KernelTestData))]
    public void Bounds_EveryLength_AreEachBlocksMinAndMax_OrNaNWhereABlockHoldsNaN(int simd)
    {
        var random = new Random(KernelTestData.Seed);
        foreach (int length in Enumerable.Range(0, KernelTestData.MaxSweepLength + 1).Concat([511, 1000, 4097]))
        {
            float[] row = Map(random, length, specials: true);

            float[] bounds = RowBounds(row, length, (SimdWidth)simd);

            Assert.Equal(2 * ((length + Threshold.BlockWidth - 1) / Threshold.BlockWidth), bounds.Length);
            int blocks = bounds.Length / 2; // minima first, then maxima
            for (int k = 0; k < blocks; k++)
            {
                float low = bounds[k], high = bounds[blocks + k];
                float[] block = row.Skip(k * Threshold.BlockWidth).Take(Threshold.BlockWidth).ToArray();
                string where = $"length {length}, block {k}";
                if (block.Any(float.IsNaN))
                {
                    Assert.True(float.IsNaN(low) && float.IsNaN(high), $"{where}: a NaN must give NaN bounds.");
                }
                else if (block.Contains(float.PositiveInfinity) && block.Contains(float.NegativeInfinity))
                {
                    // ∞ − ∞ may read as NaN, which only makes the block "may change": either answer is safe.
                    Assert.True(float.IsNaN(low) || (low == block.Min() && high == block.Max()), where);
                }
                else
                {
                    Assert.True(low == block.Min() && high == block.Max(), $"{where}: ({low}, {high}), expected ({block.Min()}, {block.Max()}).");
                }
            }
        }
    }

    public static TheoryData<bool, int> SpecialsAtEveryWidth => KernelTestData.AtEveryWidth(false, true);

    [Theory]
    [MemberData(nameof(SpecialsAtEveryWidth))]
    public void Change_RandomThresholdWalks_LeaveTheMaskAndCountOfAFullThreshold(bool specials, int simd)
    {
        var random = new Random(KernelTestData.Seed);
        int[] widths = [.. Enumerable.Range(1, 70), 127, 128, 129, 191, 320, 1000, 1024, 1100, 2048];
        foreach (int width in widths)
        {
            int rows = 1 + random.Next(5);
            float[] map = Map(random, width * rows, specials);
            float[] bounds = RowBounds(map, width);
            float from = (float)(random.NextDouble() * 2 - 1);
            var mask = new byte[map.Length];
            int selected = Threshold.Apply(map, from, mask);
            for (int step = 0; step < 12; step++)
            {
                // Mostly small moves (a slider drag), sometimes a jump, a repeat, the ends, or a value that is in the map.
                float to = random.Next(6) switch
                {
                    0 => from,
                    1 => random.Next(2) == 0 ? -1f : 1f,
                    2 => float.IsFinite(map[random.Next(map.Length)]) ? Math.Clamp(map[random.Next(map.Length)], -1f, 1f) : 0f,
                    3 => (float)(random.NextDouble() * 2 - 1),
                    _ => Math.Clamp(from + (float)(random.NextDouble() - 0.5) * 0.1f, -1f, 1f),
                };

                selected += Threshold.Change(map, width, bounds, from, to, mask, (SimdWidth)simd);

                var expected = new byte[map.Length];
                int expectedCount = ScalarReference.Threshold(map, to, expected);
                int mismatch = expected.AsSpan().CommonPrefixLength(mask);
                Assert.True(mismatch == map.Length, $"width {width}, {from} → {to}: mask[{mismatch}] differs.");
                Assert.Equal(expectedCount, selected);
                from = to;
            }
        }
    }

    // 0.25: the block's maximum is the lower threshold (selected below, not above); 0.5: its minimum is the higher
    // threshold (selected both times); each moving up and down, at every width.
    public static TheoryData<float, bool, int> EdgeMoves
    {
        get
        {
            var data = new TheoryData<float, bool, int>();
            foreach (float edge in new[] { 0.25f, 0.5f })
            {
                foreach (bool upward in new[] { true, false })
                {
                    foreach (int simd in KernelTestData.SimdWidths) data.Add(edge, upward, simd);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(EdgeMoves))]
    public void Change_AValueExactlyAtAThreshold_IsCaughtInEveryBlockPosition(float edge, bool upward, int simd)
    {
        // One block holds the edge value, every other block sits far from both thresholds, so the vector skip over groups
        // of blocks must stop at exactly that block.
        const int Width = 24 * Threshold.BlockWidth + 5, Rows = 2;
        float low = 0.25f, high = 0.5f;
        for (int block = 0; block < Rows * 25; block++)
        {
            var map = new float[Width * Rows];
            Array.Fill(map, edge == low ? -0.9f : 0.9f); // the other values stay on one side of both thresholds
            int row = block / 25, x0 = block % 25 * Threshold.BlockWidth;
            for (int x = x0; x < Math.Min(Width, x0 + Threshold.BlockWidth); x++) map[row * Width + x] = edge == low ? -0.5f : 0.7f;
            map[row * Width + Math.Min(Width - 1, x0 + 7)] = edge;
            float[] bounds = RowBounds(map, Width);
            float from = upward ? low : high, to = upward ? high : low;
            var mask = new byte[map.Length];
            int selected = Threshold.Apply(map, from, mask);

            selected += Threshold.Change(map, Width, bounds, from, to, mask, (SimdWidth)simd);

            var expected = new byte[map.Length];
            Assert.Equal(ScalarReference.Threshold(map, to, expected), selected);
            Assert.True(expected.AsSpan().SequenceEqual(mask), $"block {block}, {from} → {to}");
        }
    }

    [Theory]
    [MemberData(nameof(KernelTestData.Widths), MemberType = typeof(KernelTestData))]
    public void Change_LeavesEveryBlockOutsideTheMove_Untouched(int simd)
    {
        // A flat map with a few high spots: a move from 0.3 to 0.4 may only rewrite the blocks around the spots, so mask bytes
        // set to a marker everywhere else must survive (the skip is what makes a slider move cheap).
        var random = new Random(KernelTestData.Seed);
        const int Width = 700, Rows = 9;
        var map = new float[Width * Rows];
        int[] spots = [5, 64 * 3 + 1, 699, 700, 2 * Width + 640, 8 * Width + 10, 8 * Width + 699];
        foreach (int i in spots) map[i] = 0.35f + (float)random.NextDouble() * 0.01f;
        float[] bounds = RowBounds(map, Width);
        var mask = new byte[map.Length];
        int selected = Threshold.Apply(map, 0.3f, mask);
        var touchable = new bool[map.Length];
        foreach (int i in spots)
        {
            int block = i % Width / Threshold.BlockWidth, start = i / Width * Width + block * Threshold.BlockWidth;
            for (int x = start; x < Math.Min(start + Threshold.BlockWidth, i / Width * Width + Width); x++) touchable[x] = true;
        }

        for (int i = 0; i < mask.Length; i++)
        {
            if (!touchable[i]) mask[i] = 0x11;
        }

        selected += Threshold.Change(map, Width, bounds, 0.3f, 0.4f, mask, (SimdWidth)simd);

        Assert.Equal(0, selected);
        for (int i = 0; i < mask.Length; i++) Assert.Equal(touchable[i] ? 0 : 0x11, mask[i]);
    }

    [Fact]
    public void Change_BoundsOrMaskNotFittingTheRows_Throws()
    {
        var map = new float[128];
        float[] bounds = RowBounds(map, 64);

        Assert.Throws<ArgumentException>(() => Threshold.Change(map, 64, bounds.AsSpan(1), 0f, 0.5f, new byte[128]));
        Assert.Throws<ArgumentException>(() => Threshold.Change(map, 64, bounds, 0f, 0.5f, new byte[127]));
        Assert.Throws<ArgumentException>(() => Threshold.Change(map, 60, bounds, 0f, 0.5f, new byte[128]));
        Assert.Throws<ArgumentException>(() => Threshold.Bounds(map, new float[3]));
    }
}
