namespace DinoSeg.Tests.Reliability;

/// <summary>
/// Tests that read process-wide memory figures: xunit runs this collection on its own, after the parallel ones, so other
/// tests' allocations do not blur the numbers.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IsolatedCollection
{
    public const string Name = "Isolated (memory measurements)";
}
