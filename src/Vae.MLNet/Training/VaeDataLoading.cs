namespace Vae.MLNet;

/// <summary>How <c>Fit</c> reads the training data after the pass that learns each column's statistics.</summary>
public enum VaeDataLoading
{
    /// <summary>In memory when the encoded table (rows x encoded width x 4 bytes) takes at most a quarter of the memory
    /// available to the process (<see cref="GC.GetGCMemoryInfo()"/>'s <c>TotalAvailableMemoryBytes</c>) and fits in
    /// one array; streamed otherwise (the default).</summary>
    Auto = 0,

    /// <summary>The encoded table is held in memory: one more pass over the data, then every epoch from memory. Gives
    /// the same weights as every version before streaming.</summary>
    InMemory,

    /// <summary>The data is read again for every epoch (and, with validation, once more to validate), each row
    /// encoded as it is read; memory stays flat in the number of rows (a shuffle buffer of at most 64 MiB or 65,536
    /// rows). Deterministic for a seed, but not the same weights as <see cref="InMemory"/>: the order of the rows and
    /// the validation rows differ.</summary>
    Streaming,
}
