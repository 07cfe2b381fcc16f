using static TorchSharp.torch;

namespace Vae.MLNet.Training;

/// <summary>Where the trainer's rows come from: the training rows of an epoch in a seeded random order, the
/// validation rows and the training rows in a fixed order. <see cref="InMemoryBatches"/> holds the encoded matrix;
/// <see cref="StreamingBatches"/> reads and encodes the data anew for each of them, holding no more than a bounded
/// shuffle buffer.</summary>
internal abstract class BatchSource : IDisposable
{
    /// <summary>Rows trained on per epoch.</summary>
    public abstract int TrainRows { get; }

    /// <summary>Rows held out for validation (0: none).</summary>
    public abstract int ValidationRows { get; }

    /// <summary>Splits the rows and prepares them on <paramref name="device"/>; called once, inside the trainer's
    /// dispose scope, before any other member.</summary>
    public abstract void Open(TrainingSettings settings, Device device);

    /// <summary>The training rows of one epoch in a seeded random order.</summary>
    /// <param name="epoch">The epoch, from 1.</param>
    /// <param name="generator">The trainer's generator (the in-memory order draws its permutation from it).</param>
    public abstract IBatchReader Epoch(int epoch, Generator generator);

    /// <summary>The validation rows, always in the same order.</summary>
    public abstract IBatchReader Validation();

    /// <summary>The training rows from the first, always in the same order.</summary>
    public abstract IBatchReader Training();

    public virtual void Dispose()
    {
    }
}
