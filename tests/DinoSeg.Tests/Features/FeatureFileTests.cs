using System.Buffers.Binary;

namespace DinoSeg.Tests.Features;

public sealed class FeatureFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dinoseg-ff-" + Guid.NewGuid().ToString("N"));

    public FeatureFileTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static PatchFeatures Random(int rows = 3, int cols = 5, int dim = 7, string backbone = "test-bb", int seed = 42)
    {
        var random = new Random(seed);
        var raw = new float[rows * cols * dim];
        for (int i = 0; i < raw.Length; i++) raw[i] = (float)(random.NextDouble() * 2 - 1);
        return PatchFeatures.FromVectors(raw, rows, cols, dim, 16, cols * 16, rows * 16, cols * 16 + 3, rows * 16 - 5, backbone);
    }

    private static byte[] Bytes(PatchFeatures f)
    {
        using var stream = new MemoryStream();
        FeatureFile.Save(f, stream);
        return stream.ToArray();
    }

    private static void AssertSame(PatchFeatures expected, PatchFeatures actual)
    {
        Assert.Equal((expected.Rows, expected.Cols, expected.Dim, expected.PatchSize), (actual.Rows, actual.Cols, actual.Dim, actual.PatchSize));
        Assert.Equal((expected.WorkingWidth, expected.WorkingHeight, expected.ImageWidth, expected.ImageHeight),
            (actual.WorkingWidth, actual.WorkingHeight, actual.ImageWidth, actual.ImageHeight));
        Assert.Equal(expected.Backbone, actual.Backbone);
        // Bit for bit, not within a tolerance.
        Assert.True(expected.Vectors.SequenceEqual(actual.Vectors));
    }

    [Fact]
    public void SaveLoad_Stream_RoundTripsBitForBit_AndLeavesTheStreamOpenAfterTheFile()
    {
        PatchFeatures f = Random(backbone: "dinov3-sat ✓");
        using var stream = new MemoryStream();
        FeatureFile.Save(f, stream);
        long length = stream.Length;
        stream.WriteByte(0xEE); // something after the file: the stream overload leaves it unread

        stream.Position = 0;
        PatchFeatures loaded = FeatureFile.Load(stream);

        AssertSame(f, loaded);
        Assert.Equal(length, stream.Position);
        Assert.True(stream.CanRead);
    }

    [Fact]
    public void SaveLoad_Path_RoundTripsBitForBit_AndLeavesNoTemporaryFile()
    {
        PatchFeatures f = Random();
        string path = Path.Combine(_dir, "sub", "a" + FeatureFile.Extension);

        FeatureFile.Save(f, path);
        FeatureFile.Save(f, path); // replacing works too
        PatchFeatures loaded = FeatureFile.Load(path, new FeatureExpectations { Backbone = "test-bb", Dim = 7, ImageSize = (f.ImageWidth, f.ImageHeight) });

        AssertSame(f, loaded);
        Assert.Equal(["a.dsf"], Directory.GetFiles(Path.Combine(_dir, "sub")).Select(Path.GetFileName));
        Assert.Equal(46 + 7 + f.Vectors.Length * 4 + 8, new FileInfo(path).Length);
    }

    [Fact]
    public void Load_EmbeddedBackboneFeatures_SegmentIdenticallyToTheOriginals()
    {
        DinoSegmenter dino = EmbeddedBackbone.Segmenter;
        PatchFeatures original = dino.Extract(TestPaths.Image("chelsea.png"));
        string path = Path.Combine(_dir, "chelsea.dsf");
        FeatureFile.Save(original, path);

        PatchFeatures loaded = FeatureFile.Load(path, new FeatureExpectations { Backbone = Backbone.ResNet18.Name });
        loaded.Guide = original.Guide; // a file holds the features, not the image the default refinement reads
        SegmentationResult a = dino.Segment(original, new PixelPoint(172, 115), 0.2f);
        SegmentationResult b = dino.Segment(loaded, new PixelPoint(172, 115), 0.2f);

        AssertSame(original, loaded);
        Assert.True(a.Similarity.SequenceEqual(b.Similarity));
        Assert.True(a.Mask.SequenceEqual(b.Mask));
        Assert.True(a.SelectedPixels > 0);
    }

    [Fact]
    public void Load_WrongMagic_Refuses()
    {
        byte[] bytes = Bytes(Random());
        bytes[1] = (byte)'X';

        var e = Assert.Throws<DinoSegFeatureFileException>(() => FeatureFile.Load(new MemoryStream(bytes)));

        Assert.Contains("DinoSeg feature file", e.Expected);
    }

    [Fact]
    public void Load_PngFile_RefusesAsNotAFeatureFile()
    {
        Assert.Throws<DinoSegFeatureFileException>(() => FeatureFile.Load(TestPaths.Image("chelsea.png")));
    }

    [Theory]
    [InlineData(2, "update DinoSeg")]
    [InlineData(0, "recreate")]
    public void Load_OtherVersion_RefusesNamingBothVersions(ushort version, string fix)
    {
        byte[] bytes = Bytes(Random());
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), version);

        var e = Assert.Throws<DinoSegFeatureFileException>(() => FeatureFile.Load(new MemoryStream(bytes)));

        Assert.Equal("feature file format version 1", e.Expected);
        Assert.Contains($"version {version}", e.Found);
        Assert.Contains(fix, e.Fix);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(46)]   // header, no name
    [InlineData(60)]   // inside the payload
    [InlineData(-8)]   // everything but the checksum
    [InlineData(-1)]
    public void Load_Truncated_RefusesAsCutShort(int keep)
    {
        byte[] bytes = Bytes(Random());
        int length = keep >= 0 ? keep : bytes.Length + keep;

        var e = Assert.Throws<DinoSegFeatureFileException>(() => FeatureFile.Load(new MemoryStream(bytes, 0, length)));

        Assert.Contains("cut short", e.Found);
    }

    [Theory]
    [InlineData(60)]   // a payload byte
    [InlineData(50)]   // a byte of the backbone name
    [InlineData(-3)]   // a byte of the checksum itself
    public void Load_FlippedByte_RefusesWithChecksumMismatch(int at)
    {
        byte[] bytes = Bytes(Random());
        bytes[at >= 0 ? at : bytes.Length + at] ^= 0x10;

        var e = Assert.Throws<DinoSegFeatureFileException>(() => FeatureFile.Load(new MemoryStream(bytes)));

        Assert.Contains("checksum", e.Expected);
        Assert.Contains("corrupt", e.Found);
    }

    [Fact]
    public void Load_CorruptSizesInHeader_RefusesBeforeAllocating()
    {
        byte[] zero = Bytes(Random());
        BinaryPrimitives.WriteInt32LittleEndian(zero.AsSpan(12), 0);
        byte[] huge = Bytes(Random());
        BinaryPrimitives.WriteInt32LittleEndian(huge.AsSpan(12), 1 << 26);
        BinaryPrimitives.WriteInt32LittleEndian(huge.AsSpan(32), (1 << 26) * 16);
        byte[] working = Bytes(Random());
        BinaryPrimitives.WriteInt32LittleEndian(working.AsSpan(28), 17);

        Assert.Contains("non-positive", Assert.Throws<DinoSegFeatureFileException>(() => FeatureFile.Load(new MemoryStream(zero))).Found);
        Assert.Contains("more than", Assert.Throws<DinoSegFeatureFileException>(() => FeatureFile.Load(new MemoryStream(huge))).Found);
        Assert.Contains("working size", Assert.Throws<DinoSegFeatureFileException>(() => FeatureFile.Load(new MemoryStream(working))).Found);
    }

    /// <summary>A version-1 feature file written by hand, with a valid checksum, so the loader's later checks are what refuse it.</summary>
    private static byte[] Craft(int rows, int cols, int dim, int imageWidth, int imageHeight, string backbone, float[] values)
    {
        byte[] name = System.Text.Encoding.UTF8.GetBytes(backbone);
        var file = new byte[46 + name.Length + 4 * values.Length + 8];
        ReadOnlySpan<byte> magic = [0x89, (byte)'D', (byte)'S', (byte)'F', 0x0D, 0x0A, 0x1A, 0x0A];
        magic.CopyTo(file);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(8), 1);
        int[] header = [rows, cols, dim, 16, cols * 16, rows * 16, imageWidth, imageHeight];
        for (int i = 0; i < header.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(12 + 4 * i), header[i]);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(44), (ushort)name.Length);
        name.CopyTo(file, 46);
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(file.AsSpan(46 + name.Length));
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(file.Length - 8), System.IO.Hashing.XxHash64.HashToUInt64(file.AsSpan(0, file.Length - 8)));
        return file;
    }

    [Fact]
    public void Load_OneByOneGridClaimingA46340SquaredImage_IsRefusedBeforeAnySegment()
    {
        byte[] file = Craft(1, 1, 2, 46340, 46340, "test-bb", [1f, 0f]);

        var e = Assert.Throws<DinoSegFeatureFileException>(() => FeatureFile.Load(new MemoryStream(file)));

        Assert.Contains("46340x46340", e.Found);
        Assert.Equal(46340, FeatureFile.Load(new MemoryStream(file), new FeatureExpectations { MaxImagePixels = 46340L * 46340 }).ImageWidth);
        Assert.Equal(16, FeatureFile.Load(new MemoryStream(Craft(1, 1, 2, 16, 16, "test-bb", [1f, 0f]))).ImageWidth);
    }

    [Theory]
    [InlineData(2f, 0f)]
    [InlineData(0.5f, 0.5f)]
    public void Load_NonUnitVectors_AreRefused(float x, float y)
    {
        byte[] file = Craft(1, 2, 2, 32, 16, "test-bb", [1f, 0f, x, y]);

        var e = Assert.Throws<DinoSegFeatureFileException>(() => FeatureFile.Load(new MemoryStream(file)));

        Assert.Contains("at patch 1 (features are unit vectors)", e.Found);
        Assert.Equal(2, FeatureFile.Load(new MemoryStream(Craft(1, 2, 2, 32, 16, "test-bb", [1f, 0f, 0f, 0f]))).Cols); // zero stays allowed
    }

    [Fact]
    public void Load_BackboneNameWithTerminalEscapes_IsRefused()
    {
        byte[] file = Craft(1, 1, 2, 16, 16, "evil\u001b]0;pwned\u0007", [0f, 1f]);

        var e = Assert.Throws<DinoSegFeatureFileException>(() => FeatureFile.Load(new MemoryStream(file)));

        Assert.Contains("control characters", e.Found);
        Assert.False(e.Message.Contains('\u001b', StringComparison.Ordinal), "the message carries the escape");
    }

    [Fact]
    public void Load_PathWithTrailingBytes_Refuses()
    {
        string path = Path.Combine(_dir, "t.dsf");
        FeatureFile.Save(Random(), path);
        File.AppendAllText(path, "x");

        var e = Assert.Throws<DinoSegFeatureFileException>(() => FeatureFile.Load(path));

        Assert.Contains("1 more bytes", e.Found);
    }

    [Fact]
    public void Load_OtherBackbone_RefusesNamingBoth()
    {
        string path = Path.Combine(_dir, "b.dsf");
        FeatureFile.Save(Random(backbone: "resnet18-s16"), path);

        var e = Assert.Throws<DinoSegFeatureFileException>(() => FeatureFile.Load(path, new FeatureExpectations { Backbone = "dinov3" }));

        Assert.Equal("features from backbone 'dinov3'", e.Expected);
        Assert.Contains("'resnet18-s16'", e.Found);
        Assert.Contains("extract the features again", e.Fix);
    }

    [Fact]
    public void Load_OtherDimOrImageSize_Refuses()
    {
        PatchFeatures f = Random();
        byte[] bytes = Bytes(f);

        var dim = Assert.Throws<DinoSegFeatureFileException>(() => FeatureFile.Load(new MemoryStream(bytes), new FeatureExpectations { Dim = 1024 }));
        var size = Assert.Throws<DinoSegFeatureFileException>(() =>
            FeatureFile.Load(new MemoryStream(bytes), new FeatureExpectations { ImageSize = (f.ImageWidth + 1, f.ImageHeight) }));

        Assert.Contains("7 in stream", dim.Found);
        Assert.Equal($"features of a {f.ImageWidth + 1}x{f.ImageHeight} image", size.Expected);
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => FeatureFile.Load(Path.Combine(_dir, "none.dsf")));
    }

    [Fact]
    public void Save_BadArguments_Throw()
    {
        string longName = new('x', 300);
        Assert.Throws<ArgumentException>(() => FeatureFile.Save(Random(backbone: longName), new MemoryStream()));
        Assert.Throws<ArgumentException>(() => FeatureFile.Save(Random(), new MemoryStream([], writable: false)));
        Assert.Throws<ArgumentNullException>(() => FeatureFile.Save(null!, new MemoryStream()));
    }
}
