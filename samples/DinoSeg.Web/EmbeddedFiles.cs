using System.Collections.Frozen;
using System.Reflection;

namespace DinoSeg.Web;

/// <summary>
/// Files compiled into this assembly under a prefix: the page (<c>page/</c>) and the bundled photos (<c>samples/</c>).
/// Lookups are by exact name in a fixed table, so no client input ever reaches the file system.
/// </summary>
internal sealed class EmbeddedFiles
{
    private readonly FrozenDictionary<string, byte[]> _files;

    private EmbeddedFiles(FrozenDictionary<string, byte[]> files) => _files = files;

    /// <summary>Reads every resource whose name starts with <paramref name="prefix"/>, keyed by the rest of its name.</summary>
    public static EmbeddedFiles Load(string prefix)
    {
        Assembly assembly = typeof(EmbeddedFiles).Assembly;
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (string resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            using Stream stream = assembly.GetManifestResourceStream(resource)!;
            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            files.Add(resource[prefix.Length..], bytes);
        }

        return new EmbeddedFiles(files.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>Names in ordinal order.</summary>
    public IReadOnlyList<string> Names => [.. _files.Keys.Order(StringComparer.Ordinal)];

    public byte[]? Find(string name) => _files.GetValueOrDefault(name);
}
