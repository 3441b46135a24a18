using System.Text.Json;

namespace DinoSeg.Cli.Tests;

/// <summary><c>dinoseg bench</c> runs and reports the documented fields (numbers are not judged here: timings live in docs).</summary>
public sealed class BenchCommandTests
{
    [Fact]
    public void Bench_Json_ReportsEveryDocumentedField()
    {
        var r = CliProcess.Run("bench", "--size", "256x192", "--dim", "64", "--sigma", "2", "--clicks", "5", "--json");

        Assert.True(r.ExitCode == 0, r.StdErr);
        using var doc = JsonDocument.Parse(r.StdOut);
        JsonElement root = doc.RootElement;
        foreach (string field in new[] { "perClickMs", "perClickP90Ms", "thresholdChangeMs" }) Assert.True(root.GetProperty(field).GetDouble() > 0, field);
        Assert.Equal(JsonValueKind.Object, root.GetProperty("stagesMs").ValueKind);
        Assert.True(root.GetProperty("stagesMs").GetProperty("thresholdChangeWholeMap").GetDouble() > 0);
        Assert.Equal("256x192", root.GetProperty("size").GetString());
        Assert.Equal(64, root.GetProperty("dim").GetInt32());
        Assert.Equal(2, root.GetProperty("sigma").GetDouble());
        Assert.True(root.GetProperty("threads").GetInt32() >= 1);
        Assert.Equal(0, root.GetProperty("allocatedBytesPerClick").GetInt64());
    }

    [Theory]
    [InlineData("--size", "10x10", "--size expects WxH")]
    [InlineData("--dim", "0", "--dim expects a whole number in [1, 8192], not '0'")]
    [InlineData("--sigma", "-1", "--sigma -1: σ must be in [0, ")]
    [InlineData("--clicks", "many", "--clicks expects")]
    public void Bench_BadOption_FailsWithOneLine(string option, string value, string message)
    {
        var r = CliProcess.Run("bench", option, value);

        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.StdErr);
    }
}
