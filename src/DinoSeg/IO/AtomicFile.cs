namespace DinoSeg;

/// <summary>
/// Writes files atomically: the content goes to a hidden temporary file in the same directory, which is flushed to disk
/// and then renamed over the target. A reader never sees a partial file, and a failed or killed write leaves the old
/// file (if any) untouched; at worst a hidden <c>.NAME.*.tmp</c> file remains after a kill.
/// </summary>
/// <remarks>
/// Stateless and thread-safe; concurrent writes to one path each complete, and the last rename wins. Internal: the
/// library writes its own files with it (<see cref="FeatureFile"/>, <c>ViewWriter</c>), and the CLI compiles this same
/// file for its JSON and export files, so there is one implementation and no public file-system helper in the API.
/// </remarks>
internal static class AtomicFile
{
    /// <summary>Creates or replaces <paramref name="path"/> with what <paramref name="write"/> puts into the stream it is given.</summary>
    /// <param name="path">The file to create or replace; its directory is created if missing.</param>
    /// <param name="write">Writes the whole content; the stream is disposed afterwards.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or names a directory.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string? directory = Path.GetDirectoryName(full);
        string name = Path.GetFileName(full);
        if (directory is null || name.Length == 0) throw new ArgumentException($"'{path}' does not name a file.", nameof(path));
        Directory.CreateDirectory(directory);

        string temp = WriteTemporary(full, write);
        try
        {
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Writes a hidden temporary file beside <paramref name="fullPath"/> (same directory, so the later rename never crosses
    /// file systems), flushed to disk, and returns its path; deletes it and rethrows if <paramref name="write"/> fails.
    /// Callers that replace several files at once write every temporary first and rename them only when all succeeded.
    /// </summary>
    internal static string WriteTemporary(string fullPath, Action<Stream> write)
    {
        string temp = Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            write(stream);
            stream.Flush(flushToDisk: true);
            return temp;
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Deletes a temporary file if it can; never throws (the original failure matters more).</summary>
    internal static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // The original exception matters more; a leftover temporary file is hidden (dot-prefixed) and named *.tmp.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
