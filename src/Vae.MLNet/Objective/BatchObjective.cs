using System.Runtime.InteropServices;
using TorchSharp;
using Vae.MLNet.Columns;
using static TorchSharp.torch;

namespace Vae.MLNet.Objective;

/// <summary>One batch's objective as numbers (each a batch mean), and the way to back-propagate it.</summary>
internal sealed class BatchLoss(double total, double[] reconstruction, double[] kl, double beta, Action? backward)
{
    /// <summary>Reconstruction summed over columns plus beta times the (free-bits floored) KL.</summary>
    public double Total { get; } = total;

    /// <summary>Weighted reconstruction loss per column.</summary>
    public double[] Reconstruction { get; } = reconstruction;

    /// <summary>KL(q(z|x) || N(0, I)) per latent dimension, never negative.</summary>
    public double[] Kl { get; } = kl;

    /// <summary>The KL weight in effect.</summary>
    public double Beta { get; } = beta;

    /// <summary>Accumulates the gradient of <see cref="Total"/> into the parameters that produced the batch.</summary>
    public void Backward() =>
        (backward ?? throw new InvalidOperationException("The loss was computed without its gradient."))();
}

/// <summary>The objective of a training batch: reconstruction of every column by its kind's loss plus the weighted
/// KL. Two implementations of the same function: <see cref="ManagedObjective"/> on the CPU (loss and gradient in one
/// managed pass over the batch, a handful of microseconds where the tensor form costs dozens of small tensor
/// operations forward and backward), <see cref="TensorObjective"/> (the tensor form, <see cref="VaeObjective"/>) on
/// other devices.</summary>
internal abstract class BatchObjective : IDisposable
{
    /// <summary>The objective for a fit on <paramref name="device"/>.</summary>
    public static BatchObjective For(ColumnEncoding encoding, VaeReconstructionReduction reduction, Device device) =>
        device.type == DeviceType.CPU
            ? new ManagedObjective(encoding, reduction)
            : new TensorObjective(encoding, reduction, device);

    /// <summary>Computes the loss of one batch.</summary>
    /// <param name="output">Decoder output (batch x encoded width): predictions for numeric features, logits otherwise.</param>
    /// <param name="x">The encoder's input batch: the encoded features, then the missing-value indicators if any.</param>
    /// <param name="mu">Posterior means (batch x latent).</param>
    /// <param name="logVar">Posterior log-variances (batch x latent).</param>
    /// <param name="numericLogVar">Learned log-variance per numeric feature for Gaussian NLL; null: squared error.</param>
    /// <param name="beta">The KL weight.</param>
    /// <param name="freeBits">Floor on each dimension's batch-mean KL in the objective; 0: none.</param>
    /// <param name="withGradient">Whether <see cref="BatchLoss.Backward"/> will be called.</param>
    public abstract BatchLoss Compute(
        Tensor output, Tensor x, Tensor mu, Tensor logVar, Tensor? numericLogVar, double beta, double freeBits, bool withGradient);

    public virtual void Dispose()
    {
    }

    /// <summary>A float tensor's values on the host: a view of its memory when it is a contiguous float CPU tensor,
    /// otherwise a host copy that belongs to the current dispose scope.</summary>
    internal static ReadOnlySpan<float> HostFloats(Tensor t)
    {
        var host = t.device_type == DeviceType.CPU && t.dtype == ScalarType.Float32 && t.is_contiguous()
            ? t
            : t.detach().to(ScalarType.Float32).cpu().contiguous();
        return MemoryMarshal.Cast<byte, float>(host.bytes);
    }

    /// <summary>A new zero-filled CPU float tensor (current dispose scope) and a span over its memory.</summary>
    internal static Tensor HostZeros(long[] shape, out Span<float> values)
    {
        var t = zeros(shape, dtype: ScalarType.Float32);
        values = MemoryMarshal.Cast<byte, float>(t.bytes);
        return t;
    }
}

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

    public override void Dispose() => _layout.Dispose();
}
