using System.Runtime.InteropServices;
using TorchSharp;
using Vae.MLNet.Columns;
using static TorchSharp.torch;

namespace Vae.MLNet.Objective;

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
