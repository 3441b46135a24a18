using System.Text.Json;
using DinoSeg.Masks;

namespace DinoSeg.Tests.Masks;

/// <summary>COCO RLE: round trips on random and edge-case masks, and the compressed string against hand-worked examples.</summary>
public sealed class CocoRleTests
{
    public static TheoryData<int, int> Sizes => new() { { 1, 1 }, { 1, 17 }, { 13, 1 }, { 2, 3 }, { 3, 2 }, { 7, 5 }, { 31, 33 }, { 64, 48 }, { 257, 129 } };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void EncodeDecode_RandomMasks_RoundTrip(int width, int height)
    {
        var random = new Random(width * 7 + height);
        for (int trial = 0; trial < 8; trial++)
        {
            byte[] mask = trial switch
            {
                0 => new byte[width * height],                                       // empty
                1 => Enumerable.Repeat((byte)255, width * height).ToArray(),         // full
                2 => MaskTestData.Noise(random, width, height, 0.5),
                3 => MaskTestData.Noise(random, width, height, 0.02),
                _ => MaskTestData.Blobs(random, width, height),
            };

            CocoRle rle = CocoRle.Encode(mask, width, height);
            CocoRle fromString = CocoRle.FromCompressedString(rle.ToCompressedString(), width, height);
            CocoRle fromCounts = CocoRle.FromCounts(rle.Counts, width, height);

            Assert.Equal(mask, rle.Decode());
            Assert.Equal(rle.Counts, fromString.Counts);
            Assert.Equal(mask, fromCounts.Decode());
            Assert.Equal(mask.Count(b => b != 0), rle.Area);
            Assert.Equal((long)width * height, rle.Counts.Sum(c => (long)c));
            Assert.All(rle.Counts.Skip(1), c => Assert.True(c > 0)); // only the first (off) run may be empty
        }
    }

    [Fact]
    public void Encode_EdgeCases_FollowTheCocoConvention()
    {
        // Empty: one off run. Full: an empty off run, then everything. 1×1 on: [0, 1].
        Assert.Equal([12], CocoRle.Encode(new byte[12], 3, 4).Counts);
        Assert.Equal([0, 12], CocoRle.Encode(Enumerable.Repeat((byte)1, 12).ToArray(), 3, 4).Counts);
        Assert.Equal([0, 1], CocoRle.Encode([255], 1, 1).Counts);
        Assert.Equal([1], CocoRle.Encode([0], 1, 1).Counts);
    }

    [Fact]
    public void Encode_IsColumnMajor()
    {
        // 3 wide, 4 high (rows below). Down column 0: 0 1 1 0, column 1: 1 1 1 1, column 2: 0 0 0 1
        // → runs off 1, on 2, off 1, on 4, off 3, on 1 (row-major they would be quite different).
        byte[] mask =
        [
            0, 1, 0,
            1, 1, 0,
            1, 1, 0,
            0, 1, 1,
        ];

        CocoRle rle = CocoRle.Encode(mask, width: 3, height: 4);

        Assert.Equal([1, 2, 1, 4, 3, 1], rle.Counts);
        Assert.Equal((0, 0, 3, 4), rle.BoundingBox());
    }

    [Fact]
    public void ToCompressedString_HandWorkedExamples_MatchPycocotoolsRules()
    {
        // Worked by hand from maskApi.c's rleToString (no pycocotools package on Debian bookworm to generate them):
        // [1, 2, 1, 4, 3, 1]: counts 0–2 as they are ('1', '2', '1'); from i = 3 on the difference to the count two before:
        // 4 − 2 = 2 → '2', 3 − 1 = 2 → '2', 1 − 4 = −3 → 5 bits 11101 = 29, sign bit set and nothing left → 48 + 29 = 'M'.
        Assert.Equal("12122M", CocoRle.FromCounts([1, 2, 1, 4, 3, 1], 3, 4).ToCompressedString());

        // [0, 50, 52, 10] (one column of 112): 0 → '0'; 50 = 1·32 + 18: low group 18 has its sign bit (16) set but 1 is
        // left, so 18 | 32 = 50 → 'b', then 1 → '1'; 52 = 1·32 + 20 → 'd', '1'; 10 − 50 = −40: low 5 bits 11000 = 24,
        // −40 >> 5 = −2 ≠ −1, so 24 | 32 = 56 → 'h'; then −2 & 31 = 30 with −2 >> 5 = −1 → 48 + 30 = 'N'.
        Assert.Equal("0b1d1hN", CocoRle.FromCounts([0, 50, 52, 10], 1, 112).ToCompressedString());

        // An empty 10×10 mask: [100] = 3·32 + 4 → 4 | 32 = 36 → 'T', then '3'.
        Assert.Equal("T3", CocoRle.Encode(new byte[100], 10, 10).ToCompressedString());
    }

    [Fact]
    public void FromCompressedString_HandWorkedExamples_DecodeToTheirCounts()
    {
        Assert.Equal([1, 2, 1, 4, 3, 1], CocoRle.FromCompressedString("12122M", 3, 4).Counts);
        Assert.Equal([0, 50, 52, 10], CocoRle.FromCompressedString("0b1d1hN", 1, 112).Counts);
        byte[] column = CocoRle.FromCompressedString("0b1d1hN", 1, 112).Decode();
        Assert.Equal(Enumerable.Range(0, 112).Select(y => y < 50 || y >= 102 ? (byte)255 : (byte)0), column);
    }

    [Theory]
    [InlineData("12122", "adding up")]       // one run short
    [InlineData("12122M1", "adding up")]     // one too many
    [InlineData("1212b", "ends inside")]     // continuation bit on the last character
    [InlineData("12 22M", "'0' to 'o'")]
    public void FromCompressedString_Malformed_SaysWhatIsWrong(string counts, string expected)
    {
        var error = Assert.Throws<FormatException>(() => CocoRle.FromCompressedString(counts, 3, 4));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void ToJson_And_ToCocoDocument_HoldTheSizeCountsAreaAndBox()
    {
        byte[] mask = new byte[5 * 4];
        mask[1 * 5 + 2] = mask[2 * 5 + 2] = mask[2 * 5 + 3] = 255;
        CocoRle rle = CocoRle.Encode(mask, 5, 4);

        using JsonDocument plain = JsonDocument.Parse(rle.ToJson(compressed: false));
        using JsonDocument coco = JsonDocument.Parse(rle.ToCocoDocument("photo.jpg"));

        Assert.Equal([4, 5], plain.RootElement.GetProperty("size").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(rle.Counts, plain.RootElement.GetProperty("counts").EnumerateArray().Select(e => e.GetInt32()));
        JsonElement annotation = coco.RootElement.GetProperty("annotations")[0];
        Assert.Equal(rle.ToCompressedString(), annotation.GetProperty("segmentation").GetProperty("counts").GetString());
        Assert.Equal(3, annotation.GetProperty("area").GetInt64());
        Assert.Equal([2, 1, 2, 2], annotation.GetProperty("bbox").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("photo.jpg", coco.RootElement.GetProperty("images")[0].GetProperty("file_name").GetString());
        Assert.Equal(5, coco.RootElement.GetProperty("images")[0].GetProperty("width").GetInt32());
    }

    [Fact]
    public void BoundingBox_RandomMasks_MatchesTheOnPixels()
    {
        var random = new Random(3);
        for (int trial = 0; trial < 20; trial++)
        {
            int w = 1 + random.Next(40), h = 1 + random.Next(40);
            byte[] mask = MaskTestData.Noise(random, w, h, random.NextDouble() * 0.05);
            var on = Enumerable.Range(0, w * h).Where(i => mask[i] != 0).Select(i => (X: i % w, Y: i / w)).ToList();
            (int, int, int, int) expected = on.Count == 0 ? (0, 0, 0, 0)
                : (on.Min(p => p.X), on.Min(p => p.Y), on.Max(p => p.X) - on.Min(p => p.X) + 1, on.Max(p => p.Y) - on.Min(p => p.Y) + 1);

            Assert.Equal(expected, CocoRle.Encode(mask, w, h).BoundingBox());
        }
    }
}
