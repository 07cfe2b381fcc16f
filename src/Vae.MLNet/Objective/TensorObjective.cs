using Vae.MLNet.Columns;
using static TorchSharp.torch;

namespace Vae.MLNet.Objective;

/// <summary>The tensor form of the objective (<see cref="VaeObjective.Compute"/>), for devices other than the CPU.</summary>
internal sealed class TensorObjective(ColumnEncoding encoding, VaeReconstructionReduction reduction, Device device) : BatchObjective
{
    private readonly LossLayout _layout = new(encoding, reduction, device);

    public override BatchLoss Compute(
        Tensor output, Tensor x, Tensor mu, Tensor logVar, Tensor? numericLogVar, double beta, double freeBits, bool withGradient)
    {
        var (target, mask) = _layout.TargetAndMask(x);
        var parts = VaeObjective.Compute(output, target, mu, logVar, _layout, beta, freeBits, numericLogVar, mask);
        var values = HostFloats(cat([parts.Reconstruction, parts.Kl, parts.Total.reshape(1)]).detach());
        var columns = _layout.ColumnCount;
        var latent = (int)parts.Kl.shape[0];
        var reconstruction = new double[columns];
        var kl = new double[latent];
        for (var i = 0; i < columns; i++)
        {
            reconstruction[i] = values[i];
        }

        for (var j = 0; j < latent; j++)
        {
            kl[j] = values[columns + j];
        }

        var total = parts.Total;
        return new BatchLoss(values[columns + latent], reconstruction, kl, beta, withGradient ? total.backward : null);
    }

    public override void Dispose()
    {
        _layout.Dispose();
        base.Dispose();
    }
}
