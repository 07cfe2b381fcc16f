namespace Vae.MLNet.Transform;

/// <summary>Where an output row reads the model's results: the computer of the batch being served and the row's
/// index in it. The batched cursor moves it batch by batch; a prediction engine's row computes its batch of one on
/// demand, when <see cref="Row"/> is read for an input row not yet computed.</summary>
internal abstract class CurrentBatch
{
    /// <summary>The results of the batch being served.</summary>
    public abstract BatchComputer Computer { get; }

    /// <summary>The row's index in <see cref="Computer"/>, the batch brought up to date with the input row first
    /// (read it before the results).</summary>
    public abstract int Row { get; }
}
