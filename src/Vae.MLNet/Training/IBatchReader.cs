using static TorchSharp.torch;

namespace Vae.MLNet.Training;

/// <summary>Batches read one after another.</summary>
internal interface IBatchReader : IDisposable
{
    /// <summary>The next <paramref name="rows"/> rows as a tensor of the current dispose scope (rows x input width,
    /// on the trainer's device). The caller asks for no more rows than the reader has.</summary>
    Tensor Next(int rows);

    /// <summary>Called once every row was asked for: a reading of the data is finished and checked.</summary>
    void Complete();
}
