namespace DinoSeg.Tests.IO;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dinoseg-atomic-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Write_NewFileInMissingFolder_IsCreatedWithNoTemporaryLeft()
    {
        string path = Path.Combine(_dir, "a", "b.bin");

        AtomicFile.Write(path, s => s.Write([1, 2, 3]));

        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal(["b.bin"], Directory.GetFiles(Path.Combine(_dir, "a")).Select(Path.GetFileName));
    }

    [Fact]
    public void Write_ThatThrowsHalfway_LeavesTheOldFileAndNoTemporary()
    {
        string path = Path.Combine(_dir, "x.bin");
        File.WriteAllBytes(path, [9, 9]);

        var e = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write([1, 2, 3]);
            throw new InvalidOperationException("disk full");
        }));

        Assert.Equal("disk full", e.Message);
        Assert.Equal([9, 9], File.ReadAllBytes(path));
        Assert.Equal(["x.bin"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Write_BadPath_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => AtomicFile.Write(" ", _ => { }));
        Exception e = Assert.ThrowsAny<Exception>(() => AtomicFile.Write(_dir, _ => { })); // a folder is not a file
        Assert.True(e is IOException or UnauthorizedAccessException, e.GetType().Name);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(_dir)!, $".{Path.GetFileName(_dir)}.*.tmp"));
        Assert.Throws<ArgumentNullException>(() => AtomicFile.Write(Path.Combine(_dir, "y"), null!));
    }
}
