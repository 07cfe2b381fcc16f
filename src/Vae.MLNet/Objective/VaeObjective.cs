using TorchSharp;
using static TorchSharp.torch;

namespace Vae.MLNet.Objective;

/// <summary>The VAE objective (negative evidence lower bound with a KL weight) as a pure function of the network's
/// outputs: reconstruction per column by its kind's loss, plus the closed-form KL per latent dimension.</summary>
internal static class VaeObjective
{
    /// <summary>Computes the objective.</summary>
    /// <param name="output">Decoder output (batch x width): predictions for numeric features, logits otherwise.</param>
    /// <param name="target">The encoded batch (batch x width).</param>
    /// <param name="mu">Posterior means (batch x latent).</param>
    /// <param name="logVar">Posterior log-variances (batch x latent).</param>
    /// <param name="layout">Where each column lives.</param>
    /// <param name="beta">The KL weight.</param>
    /// <param name="freeBits">Floor on each dimension's batch-mean KL in the objective (Kingma et al. 2016); 0: none.</param>
    /// <param name="numericLogVar">Learned log-variance per numeric feature for Gaussian NLL; null: squared error.</param>
    /// <param name="mask">1 where a value is observed, 0 where missing (batch x width); null: all observed.</param>
    public static ObjectiveParts Compute(
        Tensor output, Tensor target, Tensor mu, Tensor logVar, LossLayout layout, double beta, double freeBits,
        Tensor? numericLogVar = null, Tensor? mask = null)
    {
        var reconstruction = zeros(layout.ColumnCount, dtype: output.dtype, device: output.device);

        if (layout.Numeric is { } numeric)
        {
            var difference = numeric.Select(output).sub(numeric.Select(target));
            var terms = difference.square();
            if (numericLogVar is not null)
            {
                // 0.5 (d^2 exp(-lv) + lv + log 2 pi), every scalar held (see Scalars).
                var lv = numericLogVar.clamp(TorchScalars.NumericLogVarMin, TorchScalars.NumericLogVarMax);
                terms = terms.mul(lv.neg().exp()).add(lv, TorchScalars.One).add(TorchScalars.Log2Pi, TorchScalars.One).mul(TorchScalars.Half);
            }

            reconstruction = AddFeatures(reconstruction, terms, numeric, mask);
        }

        if (layout.Binary is { } binary)
        {
            var terms = nn.functional.binary_cross_entropy_with_logits(
                binary.Select(output), binary.Select(target), reduction: nn.Reduction.None);
            reconstruction = AddFeatures(reconstruction, terms, binary, mask);
        }

        foreach (var group in layout.Categorical)
        {
            var shape = new long[] { -1, group.Count, group.MaxWidth };
            // gather, not index_select: its backward is one scatter over the batch, where index_select's backward
            // (index_add along dimension 1) adds one strided column at a time.
            var logits = output.gather(1, group.Gather.unsqueeze(0).expand(output.shape[0], -1)).view(shape);
            var onehot = target.index_select(1, group.Gather).view(shape);
            if (group.Padding is not null)
            {
                // Padding takes no probability and no target mass. A missing category is an all-zero target: no loss.
                logits = logits.masked_fill(group.Padding, TorchScalars.PaddingLogit);
                onehot = onehot.masked_fill(group.Padding, TorchScalars.Zero);
            }

            var crossEntropy = onehot.mul(logits.log_softmax(-1)).sum(-1).neg();
            reconstruction = reconstruction.index_add(0, group.Columns, crossEntropy.mean([0]).mul(group.Scales), TorchScalars.One);
        }

        var kl = Kl(mu, logVar);
        using var floor = freeBits.ToScalar();
        using var weight = beta.ToScalar();
        var klInObjective = freeBits > 0 ? kl.clamp_min(floor) : kl;
        var total = reconstruction.sum().add(klInObjective.sum().mul(weight), TorchScalars.One);
        return new ObjectiveParts(total, reconstruction, kl, beta);
    }

    /// <summary>KL(N(mu, exp(logVar)) || N(0, 1)) per latent dimension, averaged over the batch, in closed form:
    /// 0.5 (mu^2 + exp(logVar) - 1 - logVar). Rounding cannot make it negative: it is floored at 0.</summary>
    public static Tensor Kl(Tensor mu, Tensor logVar) =>
        mu.square().add(logVar.exp(), TorchScalars.One).sub(TorchScalars.One).sub(logVar).mul(TorchScalars.Half).mean([0]).clamp_min(TorchScalars.Zero);

    /// <summary>The reparameterisation trick: z = mu + exp(0.5 logVar) * eps with eps ~ N(0, I).</summary>
    public static Tensor Reparameterize(Tensor mu, Tensor logVar, Generator? generator = null)
    {
        var eps = randn(mu.shape, dtype: mu.dtype, device: mu.device, generator: generator);
        return mu.add(logVar.mul(TorchScalars.Half).exp().mul(eps), TorchScalars.One);
    }

    private static Tensor AddFeatures(Tensor reconstruction, Tensor terms, LossLayout.FeatureTensors features, Tensor? mask)
    {
        if (mask is not null)
        {
            terms = terms.mul(features.Select(mask));
        }

        return reconstruction.index_add(0, features.Columns, terms.mean([0]).mul(features.Scales), TorchScalars.One);
    }
}
