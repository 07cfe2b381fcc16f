using static TorchSharp.torch;

namespace Vae.MLNet.Objective;

/// <summary>The parts of the objective for one batch, each a batch mean. Tensors belong to the caller's dispose
/// scope.</summary>
/// <param name="Total">Reconstruction summed over columns plus beta times the (free-bits floored) KL.</param>
/// <param name="Reconstruction">Weighted reconstruction loss per column (length: columns).</param>
/// <param name="Kl">KL(q(z|x) || N(0, I)) per latent dimension, never negative (length: latent size).</param>
/// <param name="Beta">The KL weight in effect.</param>
internal sealed record ObjectiveParts(Tensor Total, Tensor Reconstruction, Tensor Kl, double Beta);
