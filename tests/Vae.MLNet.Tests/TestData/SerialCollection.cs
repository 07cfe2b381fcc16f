namespace Vae.MLNet.Tests.TestData;

/// <summary>Tests that read process-wide counters (TorchSharp's live tensor count, process memory) run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Serial";
}
